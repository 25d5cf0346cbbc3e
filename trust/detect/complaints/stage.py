"""Nightly complaint analysis: each complaint's category and severity (``models/complaints``, or the keyword
classifier without a model), with reasons; dispute outcomes are noted. Per-merchant complaint rates per order, smoothed
for small shops, are merchant metrics (``trust.metrics``)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging

import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.shards import Shard
from trust.db.tables import Complaint
from trust.detect import COMPLAINT_CATEGORIES
from trust.detect.base import empty_result
from trust.detect.complaints.model import ComplaintClassifier, load_complaint_model
from trust.settings import PROJECT_ROOT

NAME = "complaints"
ENTITY = "complaint"
VERSION = "complaints-0.2"
CATEGORIES = COMPLAINT_CATEGORIES
MODEL_DIR = PROJECT_ROOT / "models" / "complaints"
log = logging.getLogger(__name__)


def load_complaints(session: Session, window_start: dt.date, window_end: dt.date, shard: Shard = Shard()) -> pd.DataFrame:
    """The window's complaints (of the merchants of ``shard``)."""
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = (
        select(Complaint.complaint_id, Complaint.merchant_id, Complaint.order_id, Complaint.listing_id, Complaint.text, Complaint.status)
        .where(and_(Complaint.created_at >= dt.datetime.combine(window_start, dt.time()), Complaint.created_at < end),
               shard.has(Complaint.merchant_id))
        .order_by(Complaint.complaint_id)
    )
    return read_frame(session, statement)


@functools.cache
def classifier() -> ComplaintClassifier:
    """The shipped complaint model (loaded once per process), for the checks and evaluations outside the night; the
    nightly stage classifies with the version the night pinned."""
    return load_complaint_model(MODEL_DIR)


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date,
        model: ComplaintClassifier | None = None, shard: Shard = Shard()) -> pd.DataFrame:
    """Categorise the window's complaints (of the merchants of ``shard``) with ``model`` (the night's pinned champion;
    None: the keyword classifier)."""
    complaints = load_complaints(session, window_start, window_end, shard)
    if complaints.empty:
        return empty_result()
    category, severity, reasons = (model or ComplaintClassifier().fit([])).explain(complaints["text"].tolist())
    outcome = {"resolved_for_buyer": "resolved in the buyer's favour (merchant at fault)",
               "resolved_for_merchant": "resolved in the merchant's favour"}
    reasons = [json.dumps(json.loads(r) + ([{"code": "outcome", "text": outcome[s]}] if s in outcome else []), ensure_ascii=False)
               for r, s in zip(reasons, complaints["status"])]
    return pd.DataFrame({
        "entity_id": complaints["complaint_id"], "entity_type": ENTITY, "merchant_id": complaints["merchant_id"],
        "score": (severity / 3.0).round(6), "label": category, "reasons": reasons,
    })
