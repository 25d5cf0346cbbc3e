"""Merchant metrics: per merchant, the rates and counts over the evaluation window that grades are made of."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import Complaint, DetectorScore, Merchant, Order, SpotCheck

DEFECT_REFUND_REASONS = ("quality", "counterfeit", "not_as_described", "not_delivered")

METRIC_DESCRIPTIONS = {
    "orders": "consumer orders in the window",
    "order_defects": "orders refunded for cause or with a complaint upheld for the buyer",
    "order_defect_rate": "order defects per consumer order",
    "cancellation_rate": "cancelled orders per consumer order",
    "late_shipment_rate": "orders shipped late per consumer order",
    "complaints": "complaints in the window",
    "complaint_rate": "complaints per consumer order",
    "counterfeit_complaint_count": "complaints classified as counterfeit",
    "upheld_complaints": "complaints resolved in the buyer's favour",
    "spot_checks": "test buys in the window",
    "failed_counterfeit_spot_checks": "test buys that found counterfeit goods",
    "spot_check_pass_rate": "test buys passed",
    "reviews": "reviews in the window",
    "fake_review_share": "reviews flagged as likely fake",
    "average_rating": "average rating",
    "adjusted_rating": "average rating without reviews flagged as likely fake",
    "listings": "listings on sale",
    "risky_listing_share": "listings flagged for counterfeit or false-advertising risk",
    "pyramid_risk": "risk score of the merchant's reseller chain (0–1)",
    "pyramid_flagged": "1 if the merchant's reseller chain meets the pyramid-selling test",
    "tenure_days": "days since the shop registered",
    "deposit": "deposit held, CNY",
    "verified": "1 if the shop's identity is verified",
}


def _between(column, window_start: dt.date, window_end: dt.date):
    return and_(column >= dt.datetime.combine(window_start, dt.time()),
                column < dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time()))


def compute_merchant_metrics(session: Session, business_date: dt.date, window_start: dt.date,
                             window_end: dt.date) -> pd.DataFrame:
    """Wide frame indexed by merchant_id with one column per metric in ``METRIC_DESCRIPTIONS``."""
    merchants = read_frame(session, select(Merchant.merchant_id, Merchant.registered_at, Merchant.deposit, Merchant.verified)
                           .order_by(Merchant.merchant_id)).set_index("merchant_id")
    agent_ids = set(merchants.index)
    orders = read_frame(session, select(Order.order_id, Order.merchant_id, Order.buyer_id, Order.status, Order.refund_reason,
                                        Order.shipped_late).where(_between(Order.ordered_at, window_start, window_end)))
    orders = orders[~orders["buyer_id"].isin(agent_ids)]  # stock bought by agents is not a consumer order
    complaints = read_frame(session, select(Complaint.complaint_id, Complaint.merchant_id, Complaint.order_id, Complaint.status)
                            .where(_between(Complaint.created_at, window_start, window_end)))
    checks = read_frame(session, select(SpotCheck.merchant_id, SpotCheck.result)
                        .where(_between(SpotCheck.checked_at, window_start, window_end)))
    scores = read_frame(session, select(DetectorScore.detector, DetectorScore.entity_id, DetectorScore.merchant_id,
                                        DetectorScore.score, DetectorScore.label)
                        .where(DetectorScore.business_date == business_date))

    out = pd.DataFrame(index=merchants.index)
    out["orders"] = orders.groupby("merchant_id").size()
    upheld_orders = set(complaints.loc[complaints["status"] == "resolved_for_buyer", "order_id"].dropna())
    orders["defect"] = ((orders["status"] == "refunded") & orders["refund_reason"].isin(DEFECT_REFUND_REASONS)) | orders["order_id"].isin(upheld_orders)
    orders["cancelled"] = orders["status"] == "cancelled"
    orders["shipped_late"] = orders["shipped_late"].astype(bool)
    by_merchant = orders.groupby("merchant_id")
    out["order_defects"] = by_merchant["defect"].sum()
    out["cancellation_rate"] = by_merchant["cancelled"].mean()
    out["late_shipment_rate"] = by_merchant["shipped_late"].mean()

    complaint_scores = scores[scores["detector"] == "complaints"].set_index("entity_id")
    complaints["counterfeit"] = complaints["complaint_id"].map(complaint_scores["label"]) == "counterfeit"
    complaints["upheld"] = complaints["status"] == "resolved_for_buyer"
    by_complaint = complaints.groupby("merchant_id")
    out["complaints"] = by_complaint.size()
    out["counterfeit_complaint_count"] = by_complaint["counterfeit"].sum()
    out["upheld_complaints"] = by_complaint["upheld"].sum()

    checks["counterfeit"] = checks["result"] == "counterfeit"
    checks["passed"] = checks["result"] == "pass"
    by_check = checks.groupby("merchant_id")
    out["spot_checks"] = by_check.size()
    out["failed_counterfeit_spot_checks"] = by_check["counterfeit"].sum()
    out["spot_check_pass_rate"] = by_check["passed"].mean()

    reviews = scores[scores["detector"] == "reviews"]
    if not reviews.empty:
        from trust.db.tables import Review

        ratings = read_frame(session, select(Review.review_id, Review.rating).where(_between(Review.created_at, window_start, window_end)))
        reviews = reviews.merge(ratings, left_on="entity_id", right_on="review_id", how="left")
        reviews["suspected"] = reviews["label"].notna()
        by_review = reviews.groupby("merchant_id")
        out["reviews"] = by_review.size()
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

    counts = ["orders", "order_defects", "complaints", "counterfeit_complaint_count", "upheld_complaints", "spot_checks",
              "failed_counterfeit_spot_checks", "reviews", "listings", "pyramid_flagged", "pyramid_risk"]
    for column in METRIC_DESCRIPTIONS:
        if column not in out.columns:
            out[column] = np.nan
    out[counts] = out[counts].fillna(0.0)
    orders_nonzero = out["orders"].where(out["orders"] > 0)
    out["order_defect_rate"] = (out["order_defects"] / orders_nonzero).fillna(0.0)
    out["complaint_rate"] = (out["complaints"] / orders_nonzero).fillna(0.0)
    for rate in ("cancellation_rate", "late_shipment_rate", "fake_review_share", "risky_listing_share"):
        out[rate] = out[rate].fillna(0.0)
    out = out[list(METRIC_DESCRIPTIONS)].astype(float)
    return out.sort_index()
