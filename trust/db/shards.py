"""Merchant shards: the grading stages (merchant metrics, credit scores, grades and their documents) can run as N
tasks, each over the merchants of one shard, so a night spreads over workers.

A merchant's shard is ``shard_key % N``, where ``shard_key`` is a stable hash of its id (CRC-32, the same on every
machine and Python version), stored on ``merchants`` when the merchant is loaded. N is a setting
(``TRUST_SHARDS``), not part of the data: a date graded with 4 shards can be rerun with 1 or 8, because a shard's
partition is "the date's rows of the merchants in the shard", found through ``merchants``, not a stored shard number.
"""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import ColumnElement, select, true

from trust.db.shard_key import shard_key
from trust.db.tables import Merchant

SHARD_TEXT = re.compile(r"^(\d+)/(\d+)$")


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``Shard()`` is everything: one shard of one)."""

    index: int = 0
    count: int = 1

    def __post_init__(self):
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: a shard is i/N with 0 ≤ i < N")

    @property
    def whole(self) -> bool:
        return self.count == 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str | Shard | None) -> Shard:
        """``"2/4"`` → shard 2 of 4 (how a shard travels as a task argument); None → everything."""
        if text is None or isinstance(text, Shard):
            return text or cls()
        match = SHARD_TEXT.match(str(text).strip())
        if not match:
            raise ValueError(f"shard {text!r}: write it as i/N, e.g. 2/4")
        return cls(int(match.group(1)), int(match.group(2)))

    def has(self, merchant_column) -> ColumnElement[bool]:
        """A condition: the merchant in ``merchant_column`` is in this shard (always true for the whole)."""
        if self.whole:
            return true()
        return merchant_column.in_(select(Merchant.merchant_id).where(Merchant.shard_key % self.count == self.index))

    def holds(self, merchant_ids) -> list[bool]:
        """Which of ``merchant_ids`` are in this shard (the same rule as :meth:`has`, in Python)."""
        return [self.whole or shard_key(m) % self.count == self.index for m in merchant_ids]


def all_shards(count: int) -> list[Shard]:
    return [Shard(i, count) for i in range(count)]
