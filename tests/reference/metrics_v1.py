"""The merchant metrics as they were computed before they were rewritten for speed (issue 21): every row pulled into
pandas, one window at a time. Kept only as the reference the fast path must equal; not used by the package."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import Complaint, DetectorScore, Listing, Merchant, ModerationLabel, Order, Review, SpotCheck
from trust.detect import COMPLAINT_CATEGORIES
from trust.metrics import DEFECT_REFUND_REASONS, METRICS, SMOOTHED, _between, upheld_appeals


def compute_merchant_metrics(session: Session, business_date: dt.date, window_start: dt.date,
                             window_end: dt.date) -> pd.DataFrame:
    """Wide frame indexed by merchant_id, one column per raw metric, over one window (no smoothing)."""
    appeals = upheld_appeals(session)
    merchants = read_frame(session, select(Merchant.merchant_id, Merchant.registered_at, Merchant.deposit, Merchant.verified)
                           .order_by(Merchant.merchant_id)).set_index("merchant_id")
    agent_ids = set(merchants.index)
    orders = read_frame(session, select(Order.order_id, Order.merchant_id, Order.buyer_id, Order.status, Order.refund_reason,
                                        Order.shipped_late).where(_between(Order.ordered_at, window_start, window_end)))
    orders = orders[~orders["buyer_id"].isin(agent_ids)]  # stock bought by agents is not a consumer order
    complaints = read_frame(session, select(Complaint.complaint_id, Complaint.merchant_id, Complaint.order_id, Complaint.status)
                            .where(_between(Complaint.created_at, window_start, window_end)))
    complaints = complaints[~complaints["complaint_id"].isin(appeals["complaint"])]
    checks = read_frame(session, select(SpotCheck.check_id, SpotCheck.merchant_id, SpotCheck.result)
                        .where(_between(SpotCheck.checked_at, window_start, window_end)))
    checks = checks[~checks["check_id"].isin(appeals["spot_check"])]
    scores = read_frame(session, select(DetectorScore.detector, DetectorScore.entity_id, DetectorScore.merchant_id,
                                        DetectorScore.score, DetectorScore.label)
                        .where(DetectorScore.business_date == business_date))

    out = pd.DataFrame(index=merchants.index)
    out["window_days"] = float((window_end - window_start).days + 1)
    upheld_orders = set(complaints.loc[complaints["status"] == "resolved_for_buyer", "order_id"].dropna())
    orders["defect"] = (((orders["status"] == "refunded") & orders["refund_reason"].isin(DEFECT_REFUND_REASONS))
                        | orders["order_id"].isin(upheld_orders)) & ~orders["order_id"].isin(appeals["order"])
    orders["cancelled"] = orders["status"] == "cancelled"
    orders["late"] = orders["shipped_late"].astype(bool) & ~orders["order_id"].isin(appeals["order"])
    by_order = orders.groupby("merchant_id")
    out["orders"] = by_order.size()
    out["order_defects"] = by_order["defect"].sum()
    out["cancellations"] = by_order["cancelled"].sum()
    out["late_shipments"] = by_order["late"].sum()

    complaint_labels = scores[scores["detector"] == "complaints"].set_index("entity_id")["label"]
    complaints["category"] = complaints["complaint_id"].map(complaint_labels).fillna("other")
    complaints["upheld"] = complaints["status"] == "resolved_for_buyer"
    by_complaint = complaints.groupby("merchant_id")
    out["complaints"] = by_complaint.size()
    out["upheld_complaints"] = by_complaint["upheld"].sum()
    per_category = complaints.groupby(["merchant_id", "category"]).size().unstack(fill_value=0)
    out["counterfeit_complaint_count"] = per_category["counterfeit"] if "counterfeit" in per_category else 0.0

    checks["counterfeit"] = checks["result"] == "counterfeit"
    checks["passed"] = checks["result"] == "pass"
    by_check = checks.groupby("merchant_id")
    out["spot_checks"] = by_check.size()
    out["failed_counterfeit_spot_checks"] = by_check["counterfeit"].sum()
    out["spot_check_pass_rate"] = by_check["passed"].mean()
    confirmed_labels = _analyst_confirmed_counterfeits(session, window_start, window_end)
    out["confirmed_counterfeit_cases"] = out["failed_counterfeit_spot_checks"].fillna(0).add(confirmed_labels, fill_value=0)

    reviews = scores[scores["detector"] == "reviews"]
    if not reviews.empty:
        ratings = read_frame(session, select(Review.review_id, Review.rating).where(_between(Review.created_at, window_start, window_end)))
        reviews = reviews.merge(ratings, left_on="entity_id", right_on="review_id", how="inner")
        reviews = reviews.assign(suspected=reviews["label"].notna())
        by_review = reviews.groupby("merchant_id")
        out["reviews"] = by_review.size()
        out["suspected_fake_reviews"] = by_review["suspected"].sum()
        out["fake_review_share"] = by_review["suspected"].mean()
        out["average_rating"] = by_review["rating"].mean()
        out["adjusted_rating"] = reviews[~reviews["suspected"]].groupby("merchant_id")["rating"].mean()
    listings = scores[scores["detector"] == "listings"]
    if not listings.empty:
        listings = listings.assign(risky=listings["label"].notna())
        by_listing = listings.groupby("merchant_id")
        out["listings"] = by_listing.size()
        out["risky_listing_share"] = by_listing["risky"].mean()
    agents = scores[scores["detector"] == "agents"].set_index("merchant_id")
    out["pyramid_risk"] = agents["score"]
    out["pyramid_flagged"] = agents["label"].str.startswith("pyramid_").fillna(False).astype(float)

    end = pd.Timestamp(window_end) + pd.Timedelta(days=1)
    out["tenure_days"] = ((end - pd.to_datetime(merchants["registered_at"])).dt.days).clip(lower=0)
    out["deposit"] = merchants["deposit"]
    out["verified"] = merchants["verified"].astype(float)

    counts = ["orders", "order_defects", "cancellations", "late_shipments", "complaints", "counterfeit_complaint_count",
              "upheld_complaints", "spot_checks", "failed_counterfeit_spot_checks", "confirmed_counterfeit_cases", "reviews",
              "suspected_fake_reviews",
              "listings", "pyramid_flagged", "pyramid_risk"]
    for column in METRICS:
        if column not in out.columns:
            out[column] = np.nan
    out[counts] = out[counts].fillna(0.0)
    orders_nonzero = out["orders"].where(out["orders"] > 0)
    for rate, count in SMOOTHED.items():
        out[rate] = (out[count] / orders_nonzero).fillna(0.0)
    for category in COMPLAINT_CATEGORIES:
        column = per_category[category] if category in per_category else pd.Series(0.0, index=out.index)
        out[f"complaint_rate_{category}"] = (column.reindex(out.index).fillna(0.0) / orders_nonzero).fillna(0.0)
    for rate in ("fake_review_share", "risky_listing_share"):
        out[rate] = out[rate].fillna(0.0)
    return out[list(METRICS)].astype(float).sort_index()


def _analyst_confirmed_counterfeits(session: Session, window_start: dt.date, window_end: dt.date) -> pd.Series:
    """Listings an analyst labelled counterfeit in the window, counted per merchant."""
    labels = read_frame(session, select(Listing.merchant_id)
                        .join(ModerationLabel, and_(ModerationLabel.entity_id == Listing.listing_id,
                                                    ModerationLabel.entity_type == "listing"))
                        .where(ModerationLabel.label == "counterfeit", _between(ModerationLabel.decided_at, window_start, window_end)))
    return labels.groupby("merchant_id").size().astype(float) if not labels.empty else pd.Series(dtype=float)
