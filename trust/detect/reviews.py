"""Nightly fake-review detection (刷单 / 刷好评): the review stage of the pipeline.

Reads the window's reviews (with their orders and the listing reviewed), computes the signals of
``trust.detect.review_signals``, scores them with the trained model shipped in ``models/reviews`` (or, where no model
is installed, the unsupervised rules) and spreads suspicion from the analysts' verdicts in ``moderation_labels``.
Writes a probability and reasons per review and the lockstep rings found.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import ModerationLabel, Order, Review, ReviewRing
from trust.detect.base import empty_result
from trust.detect.review_model import FakeReviewDetector, load_model
from trust.detect.review_signals import review_signals
from trust.settings import PROJECT_ROOT

NAME = "reviews"
ENTITY = "review"
VERSION = "reviews-0.3"
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


def installed_model() -> FakeReviewDetector | None:
    try:
        return load_model(MODEL_DIR)
    except FileNotFoundError:
        log.warning("no trained review model in %s: scoring with the unsupervised rules", MODEL_DIR)
        return None


def score_reviews(reviews: pd.DataFrame, known: pd.Series | None = None,
                  model: FakeReviewDetector | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores in the detector result shape, rings) for a frame of canonical reviews."""
    signals, rings = review_signals(reviews)
    model = model or FakeReviewDetector().fit(signals)
    score = model.predict_proba(signals, known=known)[:, 1]
    flagged = score >= FLAG_AT
    scores = pd.DataFrame({
        "entity_id": reviews["review_id"].to_numpy(), "entity_type": ENTITY, "merchant_id": reviews["merchant_id"].to_numpy(),
        "score": np.round(score, 6), "label": np.where(flagged, "suspected_fake", None),
        "reasons": model.reasons(signals, known=known, only=flagged),
    })
    return scores, rings


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date):
    reviews = load_reviews(session, window_start, window_end)
    if reviews.empty:
        return empty_result()
    scores, rings = score_reviews(reviews, analyst_verdicts(session, reviews["review_id"]), installed_model())
    if rings.empty:
        rings = pd.DataFrame(columns=["ring_id", "accounts", "merchants", "first_day", "last_day", "reviews", "evidence"])
    return scores, {ReviewRing: rings.assign(business_date=business_date, model_version=VERSION)}
