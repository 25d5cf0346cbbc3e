"""Baseline complaint classifier: category by weighted keywords (data/lexicon/complaint_keywords.tsv), severity
from the strongest keyword, and whether the complaint was upheld for the buyer.
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
from trust.db.tables import Complaint
from trust.detect import COMPLAINT_CATEGORIES, lexicon
from trust.detect.base import empty_result, reasons_json

NAME = "complaints"
ENTITY = "complaint"
VERSION = "complaints-keywords-0.1"
CATEGORIES = COMPLAINT_CATEGORIES


def load_complaints(session: Session, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = (
        select(Complaint.complaint_id, Complaint.merchant_id, Complaint.order_id, Complaint.text, Complaint.status)
        .where(and_(Complaint.created_at >= dt.datetime.combine(window_start, dt.time()), Complaint.created_at < end))
        .order_by(Complaint.complaint_id)
    )
    return read_frame(session, statement)


class KeywordComplaintClassifier(BaseEstimator):
    """Scores each category by the summed severity of its keywords found in the text; 'other' when none match."""

    def fit(self, X: pd.Series, y=None):
        self.keywords_ = lexicon.complaint_keywords()
        return self

    def _weights(self, X: pd.Series) -> pd.DataFrame:
        text = X.fillna("").str.lower()
        weights = pd.DataFrame(0.0, index=X.index, columns=list(CATEGORIES))
        self._hits = {c: [[] for _ in range(len(X))] for c in CATEGORIES}
        for row in self.keywords_.itertuples(index=False):
            found = text.str.contains(row.keyword, regex=False).to_numpy()
            weights.loc[found, row.category] += row.severity
            for i in np.flatnonzero(found):
                self._hits[row.category][i].append(row.keyword)
        return weights

    def predict_proba(self, X: pd.Series) -> np.ndarray:
        check_is_fitted(self)
        weights = self._weights(X)
        weights["other"] = np.where(weights.sum(axis=1) == 0, 1.0, 0.0)
        return (weights / weights.sum(axis=1).to_numpy()[:, None]).to_numpy()

    def predict(self, X: pd.Series) -> np.ndarray:
        return np.array(CATEGORIES, dtype=object)[self.predict_proba(X).argmax(axis=1)]

    def severity(self, X: pd.Series) -> np.ndarray:
        text = X.fillna("").str.lower()
        out = np.ones(len(X))
        for row in self.keywords_.itertuples(index=False):
            found = text.str.contains(row.keyword, regex=False).to_numpy()
            out = np.where(found, np.maximum(out, row.severity), out)
        return out


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    complaints = load_complaints(session, window_start, window_end)
    if complaints.empty:
        return empty_result()
    model = KeywordComplaintClassifier().fit(complaints["text"])
    proba = model.predict_proba(complaints["text"])
    category = np.array(CATEGORIES, dtype=object)[proba.argmax(axis=1)]
    severity = model.severity(complaints["text"])
    hits = model._hits
    reasons = reasons_json([
        [("category", f"{cat}: keywords " + "、".join(hits[cat][i]) if hits[cat][i] else f"{cat}: no category keyword")]
        + ([("upheld", "resolved in the buyer's favour")] if status == "resolved_for_buyer" else [])
        for i, (cat, status) in enumerate(zip(category, complaints["status"]))
    ])
    return pd.DataFrame({
        "entity_id": complaints["complaint_id"], "entity_type": ENTITY, "merchant_id": complaints["merchant_id"],
        "score": np.round(severity / 3.0, 6), "label": category, "reasons": reasons,
    })
