"""The contract of every input entity: its columns, their types, ranges, enums and references.

Contracts are data: the validator in ``trust.ingest.validate`` applies them column by column, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "text", "int", "float", "datetime", "bool", "enum"]

CATEGORIES = ("美妆护肤", "箱包", "手表", "女装", "母婴", "保健品", "数码", "食品", "家居")
SHOP_TYPES = ("individual", "brand_store", "influencer", "reseller")
ORDER_STATUSES = ("completed", "cancelled", "refunded", "in_transit")
REFUND_REASONS = ("quality", "counterfeit", "not_as_described", "not_delivered", "changed_mind", "other")
COMPLAINT_STATUSES = ("open", "resolved_for_buyer", "resolved_for_merchant", "withdrawn")
SPOT_CHECK_RESULTS = ("pass", "counterfeit", "quality_defect", "not_as_described")
LABEL_ENTITY_TYPES = ("review", "listing", "merchant", "complaint", "network")


@dataclass(frozen=True)
class Field:
    """One column of an input entity."""

    name: str
    kind: Kind
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    references: str | None = None  # entity whose id this column must name
    max_length: int | None = None
    not_after_business_date: bool = False


@dataclass(frozen=True)
class Contract:
    entity: str
    key: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required]


def _id(name: str, required: bool = True, references: str | None = None) -> Field:
    return Field(name, "id", required=required, references=references, max_length=64)


def _when(name: str, required: bool = True) -> Field:
    return Field(name, "datetime", required=required, not_after_business_date=True)


CONTRACTS: dict[str, Contract] = {
    contract.entity: contract
    for contract in (
        Contract(
            "merchants",
            "merchant_id",
            (
                _id("merchant_id"),
                Field("name", "text", max_length=200),
                Field("shop_type", "enum", choices=SHOP_TYPES),
                Field("category", "enum", choices=CATEGORIES),
                Field("city", "text", required=False, max_length=64),
                _when("registered_at"),
                Field("deposit", "float", minimum=0, maximum=10_000_000),
                Field("verified", "bool"),
            ),
        ),
        Contract(
            "listings",
            "listing_id",
            (
                _id("listing_id"),
                _id("merchant_id", references="merchants"),
                Field("title", "text", max_length=500),
                Field("description", "text", required=False, max_length=5000),
                Field("brand", "text", required=False, max_length=64),
                Field("category", "enum", choices=CATEGORIES),
                Field("price", "float", minimum=0.01, maximum=10_000_000),
                _when("listed_at"),
            ),
        ),
        Contract(
            "orders",
            "order_id",
            (
                _id("order_id"),
                _id("merchant_id", references="merchants"),
                _id("listing_id", required=False, references="listings"),
                _id("buyer_id"),
                Field("amount", "float", minimum=0, maximum=10_000_000),
                Field("quantity", "int", minimum=1, maximum=100_000),
                Field("status", "enum", choices=ORDER_STATUSES),
                Field("refund_reason", "enum", required=False, choices=REFUND_REASONS),
                Field("shipped_late", "bool"),
                _when("ordered_at"),
            ),
        ),
        Contract(
            "reviews",
            "review_id",
            (
                _id("review_id"),
                _id("merchant_id", references="merchants"),
                _id("listing_id", required=False, references="listings"),
                _id("order_id", required=False),
                _id("reviewer_id"),
                _when("reviewer_registered_at", required=False),
                Field("rating", "int", minimum=1, maximum=5),
                Field("text", "text", max_length=5000),
                _when("created_at"),
            ),
        ),
        Contract(
            "complaints",
            "complaint_id",
            (
                _id("complaint_id"),
                _id("merchant_id", references="merchants"),
                _id("order_id", required=False),
                _id("listing_id", required=False),
                _id("buyer_id"),
                Field("text", "text", max_length=5000),
                Field("status", "enum", choices=COMPLAINT_STATUSES),
                _when("created_at"),
            ),
        ),
        Contract(
            "spot_checks",
            "check_id",
            (
                _id("check_id"),
                _id("listing_id", references="listings"),
                _id("merchant_id", references="merchants"),
                Field("result", "enum", choices=SPOT_CHECK_RESULTS),
                Field("notes", "text", required=False, max_length=2000),
                _when("checked_at"),
            ),
        ),
        Contract(
            "agent_links",
            "link_id",
            (
                _id("link_id"),
                _id("recruiter_id", references="merchants"),
                _id("recruit_id", references="merchants"),
                Field("entry_fee", "float", minimum=0, maximum=10_000_000),
                _when("joined_at"),
            ),
        ),
        Contract(
            "moderation_labels",
            "label_id",
            (
                _id("label_id"),
                Field("entity_type", "enum", choices=LABEL_ENTITY_TYPES),
                _id("entity_id"),
                Field("label", "text", max_length=32),
                Field("analyst", "text", max_length=64),
                Field("note", "text", required=False, max_length=2000),
                _when("decided_at"),
            ),
        ),
    )
}

# Load order: an entity comes after every entity it references.
ENTITY_ORDER: tuple[str, ...] = (
    "merchants",
    "listings",
    "orders",
    "reviews",
    "complaints",
    "spot_checks",
    "agent_links",
    "moderation_labels",
)
# The loader looks a referenced id up in the warehouse within the day's transaction, so an entity must load before any
# entity that references it (its rows of the day are then found too): the order must hold.
assert all(ENTITY_ORDER.index(f.references) < ENTITY_ORDER.index(name)
           for name, contract in CONTRACTS.items() for f in contract.fields if f.references), "ENTITY_ORDER"
