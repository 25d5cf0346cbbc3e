"""Warehouse tables (SQLAlchemy 2.0 typed declarative).

Input tables hold every row ever loaded, upserted by their id, with the business date of the landing
partition that last wrote them. Output tables are keyed by ``business_date`` and carry the code or model
version that made each row, so any day can be recomputed and compared. Timestamps are naive local times
in the pipeline's time zone (Asia/Shanghai by default).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trust.db.shard_key import shard_key, shard_keys
from trust.db.text_hash import text_hash, text_hash_list


class Base(DeclarativeBase):
    pass


# --- input entities -------------------------------------------------------------------------------


class Merchant(Base):
    __tablename__ = "merchants"
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    shop_type: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deposit: Mapped[float] = mapped_column(Float)
    verified: Mapped[bool] = mapped_column(Boolean)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    # A stable hash of merchant_id: the merchant's shard is shard_key % N (trust.db.shards). Filled on insert.
    shard_key: Mapped[int] = mapped_column(
        Integer, default=lambda context: shard_key(context.get_current_parameters()["merchant_id"]))
    __derived_columns__ = {"shard_key": ("merchant_id", shard_keys)}  # filled by insert_rows when a frame lacks them


class Listing(Base):
    __tablename__ = "listings"
    listing_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    price: Mapped[float] = mapped_column(Float)
    listed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)


class Order(Base):
    __tablename__ = "orders"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    listing_id: Mapped[str | None] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[float] = mapped_column(Float)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    refund_reason: Mapped[str | None] = mapped_column(String(32))
    shipped_late: Mapped[bool] = mapped_column(Boolean)
    ordered_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)


class Review(Base):
    __tablename__ = "reviews"
    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    listing_id: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64))
    reviewer_id: Mapped[str] = mapped_column(String(64), index=True)
    reviewer_registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    # CRC-32 of the text as loaded (trust.db.text_hash): the review stage tells the texts it has read from it without
    # reading them. Filled on insert; a review's text changes only by re-delivering its date (a new insert). NULL on
    # rows loaded before the column existed: their text is read to hash it.
    text_hash: Mapped[int | None] = mapped_column(
        BigInteger, nullable=True, default=lambda context: text_hash(context.get_current_parameters().get("text")))
    __derived_columns__ = {"text_hash": ("text", text_hash_list)}


class Complaint(Base):
    __tablename__ = "complaints"
    complaint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    order_id: Mapped[str | None] = mapped_column(String(64))
    listing_id: Mapped[str | None] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)


class SpotCheck(Base):
    __tablename__ = "spot_checks"
    check_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(64))
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    result: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)


class AgentLink(Base):
    __tablename__ = "agent_links"
    link_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recruiter_id: Mapped[str] = mapped_column(String(64), index=True)
    recruit_id: Mapped[str] = mapped_column(String(64), index=True)
    entry_fee: Mapped[float] = mapped_column(Float)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)


class ModerationLabel(Base):
    __tablename__ = "moderation_labels"
    label_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(32))
    analyst: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)


# --- ingest bookkeeping ----------------------------------------------------------------------------


class IngestLog(Base):
    """One row per landing file per business date: rows in = rows loaded + rows quarantined."""

    __tablename__ = "ingest_log"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_file: Mapped[str] = mapped_column(String(500), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # loaded | file_rejected
    rows_in: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    # File-level decisions about its columns: optional columns absent (loaded empty), columns not in the contract.
    notes: Mapped[str | None] = mapped_column(Text)


class QuarantineRow(Base):
    """A rejected input row (or whole file, with ``row_number`` NULL) and why."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    entity: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int | None] = mapped_column(Integer)
    column_name: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    raw_record: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_quarantine_date_entity", "business_date", "entity"),)


# --- outputs ---------------------------------------------------------------------------------------


class DetectorScore(Base):
    """One score per scored entity per detector per business date, with reason codes in words."""

    __tablename__ = "detector_scores"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    detector: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(32))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {"code", "text"}
    model_version: Mapped[str] = mapped_column(String(64))


class ResellerNetwork(Base):
    """One reseller chain (by its root) per business date: the figures of the pyramid-selling test and the evidence."""

    __tablename__ = "reseller_networks"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    root_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participants: Mapped[int] = mapped_column(Integer)
    levels: Mapped[int] = mapped_column(Integer)
    max_fan_out: Mapped[int] = mapped_column(Integer)
    joined_last_30_days: Mapped[int] = mapped_column(Integer)
    entry_fees: Mapped[float] = mapped_column(Float)
    paying_share: Mapped[float] = mapped_column(Float)
    recruitment_income_share: Mapped[float] = mapped_column(Float)
    stuffing_share: Mapped[float] = mapped_column(Float)
    risk: Mapped[float] = mapped_column(Float)
    meets_legal_test: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of {"code", "text"}
    model_version: Mapped[str] = mapped_column(String(64))


class ReviewHistory(Base):
    """A reviewer's, product's or merchant's totals over all reviews created up to and including ``day`` (a row for
    each day it received reviews); kept incrementally by ``trust.detect.reviews.history``."""

    __tablename__ = "review_history"
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    day_reviews: Mapped[float] = mapped_column(Float)
    reviews: Mapped[float] = mapped_column(Float)
    active_days: Mapped[float] = mapped_column(Float)
    first_day: Mapped[dt.date] = mapped_column(Date)
    max_per_day: Mapped[float] = mapped_column(Float)
    extreme: Mapped[float] = mapped_column(Float)
    positive: Mapped[float] = mapped_column(Float)
    rating_sum: Mapped[float] = mapped_column(Float)
    rating_sq: Mapped[float] = mapped_column(Float)


class ReviewTextFeature(Base):
    """A review's text signals on their own (segmented once, when the review is first scored) and its MinHash LSH
    band keys; recomputed only when the text or the signal code changes (``text_hash``, ``version``)."""

    __tablename__ = "review_text_features"
    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_hash: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[str] = mapped_column(String(32))
    text_length: Mapped[float] = mapped_column(Float)
    text_distinct_share: Mapped[float] = mapped_column(Float)
    text_template_praise: Mapped[float] = mapped_column(Float)
    text_contact: Mapped[float] = mapped_column(Float)
    text_positive: Mapped[float] = mapped_column(Float)
    text_negative: Mapped[float] = mapped_column(Float)
    text_specific_digits: Mapped[float] = mapped_column(Float)
    text_band_0: Mapped[float | None] = mapped_column(Float(precision=53))
    text_band_1: Mapped[float | None] = mapped_column(Float(precision=53))
    text_band_2: Mapped[float | None] = mapped_column(Float(precision=53))
    text_band_3: Mapped[float | None] = mapped_column(Float(precision=53))
    text_band_4: Mapped[float | None] = mapped_column(Float(precision=53))


class ReviewTextScore(Base):
    """The review text model's signals of one review's text (``trust.detect.reviews.text.TEXT_MODEL_COLUMNS``), per
    text model (``model_version``: its fingerprint): each text is read once per model, recomputed only when the text
    changes (``text_hash``)."""

    __tablename__ = "review_text_scores"
    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    text_hash: Mapped[int] = mapped_column(BigInteger)
    text_model_score: Mapped[float] = mapped_column(Float)
    text_upper_share: Mapped[float] = mapped_column(Float)
    text_symbol_share: Mapped[float] = mapped_column(Float)
    text_punct_share: Mapped[float] = mapped_column(Float)
    text_repeat_run: Mapped[float] = mapped_column(Float)
    text_longest_latin: Mapped[float] = mapped_column(Float)
    text_lines: Mapped[float] = mapped_column(Float)
    text_link: Mapped[float] = mapped_column(Float)
    text_unknown_words: Mapped[float] = mapped_column(Float)
    # The words that pushed the text toward fake (JSON list), where the wording rule fires on it; NULL otherwise.
    text_phrases: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The signals of the kinds of fake the model learnt apart (JSON list, the model's kinds order); NULL without kinds.
    text_kind_scores: Mapped[str | None] = mapped_column(Text, nullable=True)


class ListingTextPart(Base):
    """What the listing stage reads from one listing's own words and price, stored so that a listing is read once per
    model and knowledge: the knowledge's evidence (``trust.detect.listings.knowledge``) and the wording model's kind
    probabilities. ``version``: the model version and the knowledge's fingerprint; ``content_hash``: of the title,
    description, price and category it was computed from (a re-delivered listing with other content is read again)."""

    __tablename__ = "listing_text_parts"
    listing_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(96), primary_key=True)
    content_hash: Mapped[int] = mapped_column(BigInteger)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of [code, kind, probability, text]
    text_proba: Mapped[str | None] = mapped_column(Text)  # JSON list of the wording model's probabilities; null: rules


class ListingReading(Base):
    """What the listing stage reads from one listing's title and description for the market and the signals
    (``trust.detect.listings.model.ListingTexts``: the text normalised and compacted, the compacted title, the slang
    found, the title's copy-detection band keys and priced words), stored so that a night reads only the listings it
    has not read before: the market context is rebuilt from these, not from every listing's text. ``version``: the
    fingerprint of the lexicon, dictionary and code that read it; ``content_hash``: of the title, description, price
    and category (a re-delivered listing with other content is read again)."""

    __tablename__ = "listing_readings"
    listing_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[int] = mapped_column(BigInteger)
    normal: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    title_compact: Mapped[str] = mapped_column(Text)
    slang: Mapped[str] = mapped_column(Text)  # JSON list
    bands: Mapped[str] = mapped_column(Text)  # JSON list of band keys (NaN: no key)
    tokens: Mapped[str] = mapped_column(Text)  # JSON list, sorted


class ListingMarket(Base):
    """The listing stage's market context of a business date (``trust.detect.listings.model.ListingContext``, pickled):
    what a single listing-time check compares a new listing with, read from the warehouse by whichever process runs
    the check (the API on any machine), never from a file on the worker that ran the stage."""

    __tablename__ = "listing_markets"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class RecomputeRequest(Base):
    """A date whose grades must be computed again (an upheld appeal removed a defect): queued by the analyst's action,
    done by the next ``trust_recompute`` run (or ``trust recompute``), never inside the request."""

    __tablename__ = "recompute_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)  # the publication decision, or why it failed


class SpotCheckPlan(Base):
    """The test buys (品质抽检) chosen for a business date: by expected confirmed problems, or at random to explore."""

    __tablename__ = "spot_check_plans"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    chosen_by: Mapped[str] = mapped_column(String(16))  # model | exploration
    probability: Mapped[float] = mapped_column(Float)  # the listing model's P(problem) when planned
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {code, text}
    planned_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReviewRing(Base):
    """A group of accounts reviewing the same shops in the same bursts (刷单 ring), per business date."""

    __tablename__ = "review_rings"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    ring_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    accounts: Mapped[int] = mapped_column(Integer)
    merchants: Mapped[str] = mapped_column(Text)  # JSON list of merchant ids
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    reviews: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of {"code", "text"}
    model_version: Mapped[str] = mapped_column(String(64))


class MerchantMetric(Base):
    """A named metric for one merchant over the evaluation window ending on ``business_date``."""

    __tablename__ = "merchant_metrics"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    code_version: Mapped[str] = mapped_column(String(32))


class PlatformRate(Base):
    """The platform-wide rate behind a smoothed metric for one date (the Beta prior's mean): every merchant's count over
    every merchant's consumer orders, computed once after the metric shards."""

    __tablename__ = "platform_rates"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(48), primary_key=True)  # the smoothed rate, e.g. complaint_rate_smoothed
    count_total: Mapped[float] = mapped_column(Float)
    orders_total: Mapped[float] = mapped_column(Float)
    rate: Mapped[float] = mapped_column(Float)
    prior_orders: Mapped[float] = mapped_column(Float)


class CreditScore(Base):
    __tablename__ = "credit_scores"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    scorecard_version: Mapped[str] = mapped_column(String(64))


class CreditScorePoint(Base):
    """The points one metric moved a merchant's credit score, so every score explains itself."""

    __tablename__ = "credit_score_points"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)


class Grade(Base):
    """A computed (not necessarily published) grade; history is every business date's rows."""

    __tablename__ = "grades"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tier: Mapped[str] = mapped_column(String(4))
    tier_name: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str] = mapped_column(Text)  # JSON list of {metric, value, threshold, effect, text}
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    grade_version: Mapped[str] = mapped_column(String(96))
    projected_tier: Mapped[str | None] = mapped_column(String(4))  # from today's data alone, without hysteresis
    previous_tier: Mapped[str | None] = mapped_column(String(4))  # the tier on the previous graded date
    effective_from: Mapped[dt.date | None] = mapped_column(Date)  # first date of the current tier's run


class GradeDocument(Base):
    """A grade as the lookup service returns it (grade, metrics against thresholds, reasons), rendered once when the
    grades are written so a lookup is one primary-key read of stored JSON."""

    __tablename__ = "grade_documents"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # JSON object, without the publication block


class GradeOverride(Base):
    """An analyst's override of a merchant's tier, active from ``effective_from`` until ``expires_on``."""

    __tablename__ = "grade_overrides"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    tier: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class Appeal(Base):
    """A merchant's appeal against one defect (an order, complaint or test buy). Upheld → the defect no longer counts."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # order | complaint | spot_check
    subject_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # filed | upheld | rejected
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)


class GateHold(Base):
    """A hard gate that fired: it keeps capping the merchant's tier until an analyst clears it after review."""

    __tablename__ = "gate_holds"
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gate: Mapped[str] = mapped_column(String(48), primary_key=True)
    cap: Mapped[str] = mapped_column(String(4))
    first_fired: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    clear_reason: Mapped[str | None] = mapped_column(Text)


class GradeNotice(Base):
    """What changed in a merchant's grade and why, in Chinese and English."""

    __tablename__ = "grade_notices"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    previous_tier: Mapped[str | None] = mapped_column(String(4))
    tier: Mapped[str] = mapped_column(String(4))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Every analyst action on grades: who, when, what, and why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    merchant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[str] = mapped_column(Text)  # JSON


class QualityCheck(Base):
    """The quality gate's verdicts for one business date."""

    __tablename__ = "quality_checks"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    check_name: Mapped[str] = mapped_column(String(48), primary_key=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    observed: Mapped[float | None] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text)


class RunLock(Base):
    """Who is processing a business date (or one stage of it) right now, where the database has no advisory locks
    (SQLite); a row whose process is gone is taken over. PostgreSQL uses ``pg_try_advisory_lock`` instead."""

    __tablename__ = "run_locks"
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime)


class StageRun(Base):
    """The latest outcome of each stage of each business date: running, succeeded, failed (with the error) or skipped.
    Written by the stage itself, outside the stage's own transaction, so a failed or refused date still shows in the
    run summary and the report."""

    __tablename__ = "stage_runs"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    stage: Mapped[str] = mapped_column(String(64), primary_key=True)  # ingest, detect:reviews, ..., publish
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | failed | skipped
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)


class PublishLog(Base):
    """Every publish decision. The published grades are those of the latest 'published' row."""

    __tablename__ = "publish_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    grade_version: Mapped[str] = mapped_column(String(96))
    status: Mapped[str] = mapped_column(String(16))  # published | held
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # service | analyst | admin
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)



# --- model lifecycle -------------------------------------------------------------------------------


class ModelRecord(Base):
    """One trained model of one detector: ``version`` is the content hash of its artifact (stored under the model
    store, never overwritten), with what it learnt from, how it measured, and where it stands. One champion per
    detector at a time; the nightly run pins the champion at its start (``model_pins``)."""

    __tablename__ = "model_registry"
    detector: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    artifact_uri: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16))  # challenger | champion | retired | refused
    trained_at: Mapped[dt.datetime] = mapped_column(DateTime)
    trained_by: Mapped[str] = mapped_column(String(128))
    window_start: Mapped[dt.date | None] = mapped_column(Date)  # the training labels' decision dates
    window_end: Mapped[dt.date | None] = mapped_column(Date)
    label_counts: Mapped[str] = mapped_column(Text)  # JSON: {source: {label: n}}
    features: Mapped[str] = mapped_column(Text)  # JSON list
    metrics: Mapped[str] = mapped_column(Text)  # JSON: holdout, regression sets, the promotion decision
    library_versions: Mapped[str] = mapped_column(Text)  # JSON
    profile: Mapped[str | None] = mapped_column(Text)  # JSON: the training data's drift reference
    promoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    promoted_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class ModelPin(Base):
    """The model version each detector used for a business date, chosen once at the start of the night's run."""

    __tablename__ = "model_pins"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    detector: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))  # model | rules
    pinned_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DriftCheck(Base):
    """Per business date and detector: population stability of each input and of the score against the champion's
    reference, and the flag rate against the last 30 nights. ``breach`` rows show in the report and the quality gate."""

    __tablename__ = "model_drift"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    detector: Mapped[str] = mapped_column(String(32), primary_key=True)
    measure: Mapped[str] = mapped_column(String(64), primary_key=True)  # psi:<feature> | psi:score | flag_rate
    model_version: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    reference: Mapped[float | None] = mapped_column(Float)  # flag_rate: the 30-night mean; psi: 0
    limit: Mapped[float] = mapped_column(Float)
    breach: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)

INPUT_TABLES: dict[str, type[Base]] = {
    "merchants": Merchant,
    "listings": Listing,
    "orders": Order,
    "reviews": Review,
    "complaints": Complaint,
    "spot_checks": SpotCheck,
    "agent_links": AgentLink,
    "moderation_labels": ModerationLabel,
}
