"""Nightly fake-review detection (刷单 / 刷好评): the review stage of the pipeline.

Reads the window's reviews (with their orders and the listing reviewed), computes the signals of
``trust.detect.reviews.signals``, scores them with the trained model shipped in ``models/reviews`` (or, where no model
is installed, the unsupervised rules; the model's text model reads each review's text once and its signals are stored
in ``review_text_scores``) and spreads suspicion from the analysts' verdicts in ``moderation_labels``.
Writes a probability and reasons per review and the lockstep rings found. Each reviewer's, product's and merchant's
lifetime history is kept incrementally (``trust.detect.reviews.history``) and joins the window's own reviews, so an
old account is not mistaken for a new one.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame, store_computed
from trust.db.tables import ModerationLabel, Order, Review, ReviewRing, ReviewTextFeature, ReviewTextScore
from trust.detect.base import empty_result
from trust.detect.reviews.history import prior_history, update_history
from trust.detect.reviews.model import FakeReviewDetector, load_model
from trust.detect.reviews.signals import BAND_COLUMNS, TEXT_FEATURES, review_signals, text_features
from trust.detect.reviews.text import TEXT_MODEL_COLUMNS
from trust.settings import PROJECT_ROOT

NAME = "reviews"
ENTITY = "review"
VERSION = "reviews-0.4"
TEXT_FEATURES_VERSION = "text-1"  # bump when text_features changes: stored rows are then recomputed
FLAG_AT = 0.5
MODEL_DIR = PROJECT_ROOT / "models" / "reviews"
log = logging.getLogger(__name__)


def load_reviews(session: Session, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    """Reviews created in the window in the detector's canonical columns (product = the listing reviewed)."""
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = (
        select(Review.review_id, Review.merchant_id, Review.listing_id, Review.reviewer_id, Review.reviewer_registered_at,
               Review.rating, Review.text, Review.created_at, Order.order_id.label("matched_order"),
               Order.ordered_at.label("order_created_at"))
        .outerjoin(Order, Order.order_id == Review.order_id)
        .where(and_(Review.created_at >= dt.datetime.combine(window_start, dt.time()), Review.created_at < end))
        .order_by(Review.review_id)
    )
    frame = read_frame(session, statement)
    frame["product_id"] = frame["listing_id"].where(frame["listing_id"].notna(), frame["merchant_id"])
    frame["has_order"] = frame["matched_order"].notna()
    return frame.drop(columns=["listing_id", "matched_order"])


def analyst_verdicts(session: Session, review_ids: pd.Series) -> pd.Series:
    """Analysts' latest verdict per review (1 = confirmed fake, 0 = cleared), NaN where there is none."""
    labels = read_frame(session, select(ModerationLabel.entity_id, ModerationLabel.label, ModerationLabel.decided_at)
                        .where(ModerationLabel.entity_type == ENTITY))
    known = pd.Series(np.nan, index=review_ids.index)
    if labels.empty:
        return known
    latest = labels.sort_values("decided_at").drop_duplicates("entity_id", keep="last").set_index("entity_id")["label"]
    verdict = latest.map({"fake_review": 1.0, "genuine": 0.0})
    return pd.Series(review_ids.map(verdict).to_numpy(dtype=float), index=review_ids.index)


def installed_model() -> FakeReviewDetector:
    """The shipped model (the first champion; the nightly stage scores with the version the night pinned)."""
    return load_model(MODEL_DIR)


def text_hashes(reviews: pd.DataFrame) -> np.ndarray:
    """CRC-32 of each review's text: what says a stored row was computed from the text the review has now."""
    import zlib

    texts = reviews["text"]
    return np.fromiter((zlib.crc32(t.encode("utf-8")) if isinstance(t, str) else 0 for t in texts), dtype=np.int64, count=len(texts))


def _stored_per_review(session: Session, reviews: pd.DataFrame, table, columns: list[str], stamp: dict,
                       compute, hashes: np.ndarray | None = None, text_columns: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """``columns`` (numbers) and ``text_columns`` of the window's reviews, row for row: read where ``table`` holds them
    under ``stamp`` (the code or model version that computed them) for the same text, computed by ``compute(texts)``
    and stored only for the rest. ``hashes``: :func:`text_hashes` of the reviews when already taken. Returns (values,
    reviews computed now)."""
    # Where the stamp is part of the key, only rows under this stamp are read; otherwise a review has one row whatever
    # its stamp, read with it and compared here, so one read also says which reviews have a row at all. The table is
    # read whole, without a join to the window's reviews (the join cost more than the rows outside the window, which
    # the reindex below drops).
    keyed = set(stamp) <= {c.name for c in table.__table__.primary_key.columns}
    stamped = [] if keyed else [getattr(table, name) for name in stamp]
    stored = read_frame(session, select(table.review_id, table.text_hash, *stamped,
                                        *[getattr(table, c) for c in [*columns, *text_columns]])
                        .where(*([getattr(table, name) == value for name, value in stamp.items()] if keyed else [])))
    hashes = text_hashes(reviews) if hashes is None else hashes
    stored = stored.set_index("review_id").reindex(reviews["review_id"].to_numpy())
    has_row = stored["text_hash"].notna().to_numpy()
    usable = has_row & np.logical_and.reduce([(stored[name] == value).to_numpy() for name, value in stamp.items()]) if not keyed else has_row
    fresh = np.where(usable, stored["text_hash"].to_numpy(dtype=float), np.nan) != hashes  # never stored is also "fresh"
    values = stored[columns].reset_index(drop=True).astype(float)  # rows not usable are fresh: overwritten below
    words = stored[list(text_columns)].reset_index(drop=True).astype(object)
    if fresh.any():
        computed = compute(reviews["text"].to_numpy()[fresh])
        values.loc[np.flatnonzero(fresh), columns] = computed[columns].to_numpy()
        for column in text_columns:
            words.loc[np.flatnonzero(fresh), column] = computed[column].to_numpy(dtype=object)
        rows = computed.assign(review_id=reviews["review_id"].to_numpy()[fresh], text_hash=hashes[fresh], **stamp)
        store_computed(session, table, rows, has_row[fresh])
    return (pd.concat([values, words], axis=1) if text_columns else values), int(fresh.sum())


def stored_text_features(session: Session, reviews: pd.DataFrame, hashes: np.ndarray | None = None) -> tuple[pd.DataFrame, int]:
    """Text features of ``reviews``, row for row: read where stored, computed (and stored) only for reviews
    not seen before or whose text changed. Returns (features, reviews newly featurised)."""
    return _stored_per_review(session, reviews, ReviewTextFeature, TEXT_FEATURES + BAND_COLUMNS,
                              {"version": TEXT_FEATURES_VERSION}, text_features, hashes)


def stored_text_scores(session: Session, reviews: pd.DataFrame, model: FakeReviewDetector | None,
                       hashes: np.ndarray | None = None) -> tuple[pd.DataFrame | None, int]:
    """The text model's signals of ``reviews`` and the words behind a wording reason (``text_phrases``), row for
    row: read where stored for this text model, computed (and stored) only for reviews it has not read or whose text
    changed. (None, 0) without a text model."""
    version = model.text_model_version if model is not None else None
    if version is None:
        return None, 0
    return _stored_per_review(session, reviews, ReviewTextScore, TEXT_MODEL_COLUMNS, {"model_version": version},
                              model.text_parts, hashes, text_columns=("text_phrases",))


def score_reviews(reviews: pd.DataFrame, known: pd.Series | None = None, model: FakeReviewDetector | None = None,
                  text: pd.DataFrame | None = None, prior: dict[str, pd.DataFrame] | None = None,
                  text_scores: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores in the detector result shape, rings) for a frame of canonical reviews (``text``: their stored text
    features, row for row, if any; ``prior``: the reviewers', products' and merchants' history before the frame;
    ``text_scores``: the text model's stored signals, row for row, if any)."""
    signals, rings = review_signals(reviews, text=text, prior=prior)
    if text_scores is not None:
        signals = pd.concat([signals, text_scores.set_axis(signals.index)], axis=1)
    model = model or FakeReviewDetector().fit(signals)
    score, reasons = model.score_with_reasons(signals, known=known, flag_at=FLAG_AT)
    scores = pd.DataFrame({
        "entity_id": reviews["review_id"].to_numpy(), "entity_type": ENTITY, "merchant_id": reviews["merchant_id"].to_numpy(),
        "score": np.round(score, 6), "label": np.where(score >= FLAG_AT, "suspected_fake", None), "reasons": reasons,
    })
    return scores, rings


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date,
        model: FakeReviewDetector | None = None):
    """Score the window's reviews with ``model`` (the night's pinned champion; None: the unsupervised rules)."""
    history = update_history(session, business_date)
    log.info("review history: days from %s rebuilt from %d reviews (%d rows)", history["open_from"], history["reviews"], history["rows"])
    reviews = load_reviews(session, window_start, window_end)
    if reviews.empty:
        return empty_result()
    hashes = text_hashes(reviews)  # taken once for both stored tables
    text, featurised = stored_text_features(session, reviews, hashes)
    log.info("review text: %d of %d reviews segmented and featurised now, the rest read back", featurised, len(reviews))
    prior = prior_history(session, window_start, window_end)
    text_scores, read = stored_text_scores(session, reviews, model, hashes)
    log.info("review text model: %d of %d reviews read now, the rest read back", read, len(reviews))
    scores, rings = score_reviews(reviews, analyst_verdicts(session, reviews["review_id"]), model, text, prior, text_scores)
    if rings.empty:
        rings = pd.DataFrame(columns=["ring_id", "accounts", "merchants", "first_day", "last_day", "reviews", "evidence"])
    return scores, {ReviewRing: rings.assign(business_date=business_date, model_version=VERSION)}
