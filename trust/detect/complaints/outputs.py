"""What the complaint classifier gives the rest of the system beside its categories: the per-category complaint rates
and the counterfeit complaint count of each merchant, and the report's chart of complaints by category."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, select

from trust.db.engine import read_frame
from trust.db.tables import Complaint, DetectorScore
from trust.detect import COMPLAINT_CATEGORIES
from trust.detect.base import MetricWindow
from trust.html import line_chart


def merchant_metrics(window: MetricWindow) -> pd.DataFrame:
    """Per merchant: complaints of each category per consumer order (0 without orders), and the counterfeit ones. A
    complaint the classifier has not categorised counts as ``other``."""
    complaints = window.complaints
    category = complaints["complaint_id"].map(window.scores.set_index("entity_id")["label"]).fillna("other")
    per_category = pd.crosstab(complaints["merchant_id"], category).reindex(columns=list(COMPLAINT_CATEGORIES), fill_value=0)
    per_category = per_category.reindex(window.orders.index, fill_value=0).astype(float)
    orders = window.orders.where(window.orders > 0)
    out = per_category.div(orders, axis=0).fillna(0.0).add_prefix("complaint_rate_")
    out["counterfeit_complaint_count"] = per_category["counterfeit"]
    return out


def report_sections(session, business_date: dt.date) -> list[str]:
    since = dt.datetime.combine(business_date - dt.timedelta(days=29), dt.time())
    complaints = read_frame(session, select(Complaint.created_at, DetectorScore.label)
                            .join(DetectorScore, and_(DetectorScore.entity_id == Complaint.complaint_id,
                                                      DetectorScore.detector == "complaints",
                                                      DetectorScore.business_date == business_date))
                            .where(Complaint.created_at >= since))
    series: dict = {}
    if not complaints.empty:
        complaints["day"] = pd.to_datetime(complaints["created_at"]).dt.date
        daily = complaints.groupby(["label", "day"]).size()
        series = {label: [(day, float(n)) for day, n in group.droplevel(0).items()] for label, group in daily.groupby(level=0)}
    return [line_chart("Complaints by category per day (last 30 days)", series)]
