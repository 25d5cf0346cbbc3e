"""Baseline fake-review detector (刷单 / 刷好评): review bursts, fresh and hyperactive accounts, copied text,
reviews with no matching order, rating statistics. Unsupervised rules combined by noisy-OR.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import Order, Review, ReviewRing
from trust.detect.base import collect_reasons, combine, empty_result
from trust.detect.rings import find_review_rings

NAME = "reviews"
ENTITY = "review"
VERSION = "reviews-baseline-0.2"
FLAG_AT = 0.5


def load_reviews(session: Session, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    """Reviews created in the window, with whether their order id names a known order."""
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = (
        select(Review.review_id, Review.merchant_id, Review.reviewer_id, Review.reviewer_registered_at, Review.rating,
               Review.text, Review.created_at, Review.order_id, Order.order_id.label("matched_order"))
        .outerjoin(Order, Order.order_id == Review.order_id)
        .where(and_(Review.created_at >= dt.datetime.combine(window_start, dt.time()), Review.created_at < end))
        .order_by(Review.review_id)
    )
    return read_frame(session, statement)


def review_features(reviews: pd.DataFrame) -> pd.DataFrame:
    """One row of behaviour and text features per review (index aligned with ``reviews``)."""
    created = pd.to_datetime(reviews["created_at"])
    day = created.dt.normalize()
    registered = pd.to_datetime(reviews["reviewer_registered_at"])
    features = pd.DataFrame(index=reviews.index)
    features["account_age_days"] = (created - registered).dt.total_seconds() / 86400.0
    features["reviewer_same_day"] = reviews.groupby([reviews["reviewer_id"], day])["review_id"].transform("size")
    per_day = reviews.groupby([reviews["merchant_id"], day]).size().rename("n").reset_index()
    per_day.columns = ["merchant_id", "day", "n"]
    baseline = per_day.groupby("merchant_id")["n"].median().rename("baseline")
    features["merchant_day_reviews"] = reviews.groupby([reviews["merchant_id"], day])["review_id"].transform("size")
    features["merchant_baseline"] = reviews["merchant_id"].map(baseline).clip(lower=1.0)
    features["burst_ratio"] = features["merchant_day_reviews"] / features["merchant_baseline"]
    # Farms post their template within the burst; genuine buyers reuse common phrases over months. So count the
    # accounts posting the same (non-trivial) text on the same day, not in the whole window.
    text_key = reviews["text"].fillna("").str.replace(r"[\W_]+", "", regex=True)
    features["same_text_accounts"] = reviews.groupby([text_key, day])["reviewer_id"].transform("nunique")
    features.loc[text_key.str.len() < 8, "same_text_accounts"] = 1  # "质量很好" alone is not a copy
    features["no_order"] = reviews["matched_order"].isna()
    features["rating"] = reviews["rating"].astype(int)
    return features


def add_ring_features(features: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """Mark reviews written by a lockstep ring in one of its bursts; returns the rings found."""
    rings, membership = find_review_rings(reviews)
    sizes = rings.set_index("ring_id")["accounts"] if not rings.empty else pd.Series(dtype=float)
    features["ring"] = membership
    features["ring_accounts"] = membership.map(sizes)
    return rings


class ReviewRuleDetector(BaseEstimator):
    """Rules on review features; ``fit`` learns nothing but the column set, so it runs without labels."""

    def __init__(self, burst_ratio: float = 4.0, burst_min_reviews: int = 8, fresh_days: float = 30.0,
                 hyperactive_per_day: int = 3, copied_accounts: int = 3):
        self.burst_ratio = burst_ratio
        self.burst_min_reviews = burst_min_reviews
        self.fresh_days = fresh_days
        self.hyperactive_per_day = hyperactive_per_day
        self.copied_accounts = copied_accounts

    WEIGHTS = {"burst": 0.3, "fresh_account": 0.3, "hyperactive_account": 0.3, "copied_text": 0.5, "no_order": 0.25,
               "review_ring": 0.5}

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.array(X.columns)
        return self

    def _fired(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        return {
            "burst": ((X["burst_ratio"] >= self.burst_ratio) & (X["merchant_day_reviews"] >= self.burst_min_reviews)).to_numpy(),
            "fresh_account": (X["account_age_days"] <= self.fresh_days).fillna(False).to_numpy(),
            "hyperactive_account": (X["reviewer_same_day"] >= self.hyperactive_per_day).to_numpy(),
            "copied_text": (X["same_text_accounts"] >= self.copied_accounts).to_numpy(),
            "no_order": X["no_order"].to_numpy(dtype=bool),
            "review_ring": X["ring"].notna().to_numpy() if "ring" in X else np.zeros(len(X), dtype=bool),
        }

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        score = combine(self._fired(X), self.WEIGHTS)
        score = np.where(X["rating"].to_numpy() >= 4, score, score * 0.5)  # bought reviews praise
        return np.column_stack([1 - score, score])

    def reasons(self, X: pd.DataFrame) -> list[str]:
        check_is_fitted(self)
        texts = {
            "burst": [f"shop had {int(n)} reviews that day, {r:.0f}× its usual {b:.0f}" for n, r, b in
                      zip(X["merchant_day_reviews"], X["burst_ratio"], X["merchant_baseline"])],
            "fresh_account": [f"account {a:.0f} days old at review" if a == a else "" for a in X["account_age_days"]],
            "hyperactive_account": [f"account wrote {int(n)} reviews that day" for n in X["reviewer_same_day"]],
            "copied_text": [f"same text as {int(n) - 1} other accounts that day" for n in X["same_text_accounts"]],
            "no_order": "no matching order",
            "review_ring": [f"account is one of {n:.0f} in {r}, which review the same shops in the same bursts" if isinstance(r, str) else ""
                            for r, n in zip(X.get("ring", pd.Series(None, index=X.index)), X.get("ring_accounts", pd.Series(0.0, index=X.index)))],
        }
        return collect_reasons(len(X), self._fired(X), texts)


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    reviews = load_reviews(session, window_start, window_end)
    if reviews.empty:
        return empty_result()
    features = review_features(reviews)
    rings = add_ring_features(features, reviews)
    model = ReviewRuleDetector().fit(features)
    score = model.predict_proba(features)[:, 1]
    scores = pd.DataFrame({
        "entity_id": reviews["review_id"], "entity_type": ENTITY, "merchant_id": reviews["merchant_id"],
        "score": np.round(score, 6), "label": np.where(score >= FLAG_AT, "suspected_fake", None),
        "reasons": model.reasons(features),
    })
    return scores, {ReviewRing: rings.assign(business_date=business_date, model_version=VERSION)}
