"""Baseline listing detector: counterfeit slang, prices implausibly far below the brand's reference price,
and false-advertising claims. Unsupervised rules combined by noisy-OR.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from sqlalchemy import select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import Listing
from trust.detect import lexicon
from trust.detect.base import collect_reasons, combine, empty_result

NAME = "listings"
ENTITY = "listing"
VERSION = "listings-baseline-0.1"
FLAG_AT = 0.5
REGULATED = {"美妆护肤", "保健品", "食品", "母婴"}
ACCESSORY = r"(?:适用于?|兼容|通用|for)"


def load_listings(session: Session, window_end: dt.date) -> pd.DataFrame:
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = select(*[c for c in Listing.__table__.columns]).where(Listing.listed_at < end).order_by(Listing.listing_id)
    return read_frame(session, statement)


def listing_features(listings: pd.DataFrame) -> pd.DataFrame:
    text = lexicon.compact(listings["title"].fillna("") + " " + listings["description"].fillna(""))
    title = lexicon.compact(listings["title"])
    features = pd.DataFrame(index=listings.index)
    explicit = lexicon.compact(listings["brand"]).map(lexicon.brand_aliases())
    found = title.str.extract(f"({lexicon.brand_pattern().pattern})", expand=False).map(lexicon.brand_aliases())
    features["brand"] = explicit.fillna(found)
    reference = lexicon.brands().set_index("brand")["reference_price"]
    features["reference_price"] = features["brand"].map(reference)
    features["price"] = listings["price"].astype(float)
    features["price_ratio"] = features["price"] / features["reference_price"]
    features["accessory"] = title.str.contains(ACCESSORY + "(?:" + lexicon.brand_pattern().pattern + ")", regex=True)
    features["counterfeit_terms"] = text.str.findall(lexicon.counterfeit_pattern()).map(lambda x: sorted(set(x)))
    features["claim_terms"] = text.str.findall(lexicon.claim_pattern()).map(lambda x: sorted(set(x)))
    features["regulated_category"] = listings["category"].isin(REGULATED)
    return features


class ListingRuleDetector(BaseEstimator):
    def __init__(self, low_price_ratio: float = 0.3):
        self.low_price_ratio = low_price_ratio

    WEIGHTS = {"counterfeit_slang": 0.6, "more_counterfeit_slang": 0.3, "price_far_below_brand": 0.5,
               "false_claim": 0.3, "claim_on_regulated_goods": 0.3}

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.array(X.columns)
        return self

    def _fired(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        slang = X["counterfeit_terms"].map(len)
        claims = X["claim_terms"].map(len)
        return {
            "counterfeit_slang": (slang >= 1).to_numpy(),
            "more_counterfeit_slang": (slang >= 2).to_numpy(),
            "price_far_below_brand": ((X["price_ratio"] < self.low_price_ratio) & ~X["accessory"]).fillna(False).to_numpy(dtype=bool),
            "false_claim": (claims >= 1).to_numpy(),
            "claim_on_regulated_goods": ((claims >= 1) & X["regulated_category"]).to_numpy(),
        }

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        score = combine(self._fired(X), self.WEIGHTS)
        return np.column_stack([1 - score, score])

    def labels(self, X: pd.DataFrame, score: np.ndarray) -> np.ndarray:
        fired = self._fired(X)
        counterfeit = fired["counterfeit_slang"] | fired["price_far_below_brand"]
        label = np.where(counterfeit, "counterfeit_risk", np.where(fired["false_claim"], "false_advertising", None))
        return np.where(score >= FLAG_AT, label, None)

    def reasons(self, X: pd.DataFrame) -> list[str]:
        check_is_fitted(self)
        texts = {
            "counterfeit_slang": ["counterfeit slang: " + "、".join(t) for t in X["counterfeit_terms"]],
            "more_counterfeit_slang": "several counterfeit terms together",
            "price_far_below_brand": [f"price ¥{p:g} is {r:.0%} of the {b} reference price ¥{ref:g}" if r == r else ""
                                      for p, r, b, ref in zip(X["price"], X["price_ratio"], X["brand"], X["reference_price"])],
            "false_claim": ["advertising claim: " + "、".join(t) for t in X["claim_terms"]],
            "claim_on_regulated_goods": "efficacy or absolute claim on cosmetics, food, baby or health goods",
        }
        return collect_reasons(len(X), self._fired(X), texts)


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    listings = load_listings(session, window_end)
    if listings.empty:
        return empty_result()
    features = listing_features(listings)
    model = ListingRuleDetector().fit(features)
    score = model.predict_proba(features)[:, 1]
    return pd.DataFrame({
        "entity_id": listings["listing_id"], "entity_type": ENTITY, "merchant_id": listings["merchant_id"],
        "score": np.round(score, 6), "label": model.labels(features, score), "reasons": model.reasons(features),
    })
