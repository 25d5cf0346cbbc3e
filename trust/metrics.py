"""Merchant metrics: per merchant, the rates and counts over its evaluation window that grades are made of.

The window adapts to volume: merchants with enough consumer orders in the short window (90 days) are judged on
it, everyone else on the long window (365 days). Rates are also given smoothed: shrunk toward the platform
mean by a Beta prior worth ``prior_orders`` pseudo-orders, so a handful of orders cannot swing a score.
Defects whose appeal was upheld do not count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Float, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import Appeal, Complaint, DetectorScore, Listing, Merchant, ModerationLabel, Order, Review, SpotCheck
from trust.detect import COMPLAINT_CATEGORIES

DEFECT_REFUND_REASONS = ("quality", "counterfeit", "not_as_described", "not_delivered")

_CATEGORY_ZH = {"counterfeit": "假冒", "quality_defect": "质量问题", "not_as_described": "描述不符/虚假宣传",
                "not_delivered": "未发货/延迟", "after_sales_refused": "拒绝售后", "reseller_recruitment": "拉人头/入门费",
                "other": "其他"}

# name → (English description, Chinese description)
METRICS: dict[str, tuple[str, str]] = {
    "window_days": ("days in the evaluation window", "评估期天数"),
    "orders": ("consumer orders in the window", "评估期内消费者订单数"),
    "order_defects": ("orders refunded for cause or with a complaint upheld for the buyer", "缺陷订单数（因质量等原因退款或投诉成立）"),
    "order_defect_rate": ("order defects per consumer order", "订单缺陷率"),
    "order_defect_rate_smoothed": ("order defect rate, smoothed for small samples", "订单缺陷率（小样本平滑）"),
    "cancellations": ("cancelled consumer orders", "取消订单数"),
    "cancellation_rate": ("cancelled orders per consumer order", "取消率"),
    "cancellation_rate_smoothed": ("cancellation rate, smoothed for small samples", "取消率（小样本平滑）"),
    "late_shipments": ("orders shipped late", "延迟发货订单数"),
    "late_shipment_rate": ("orders shipped late per consumer order", "延迟发货率"),
    "late_shipment_rate_smoothed": ("late shipment rate, smoothed for small samples", "延迟发货率（小样本平滑）"),
    "complaints": ("complaints in the window", "投诉数"),
    "complaint_rate": ("complaints per consumer order", "投诉率"),
    "complaint_rate_smoothed": ("complaint rate, smoothed for small samples", "投诉率（小样本平滑）"),
    **{f"complaint_rate_{c}": (f"{c.replace('_', ' ')} complaints per consumer order", f"{_CATEGORY_ZH[c]}投诉率")
       for c in COMPLAINT_CATEGORIES},
    "counterfeit_complaint_count": ("complaints classified as counterfeit", "假货投诉数"),
    "upheld_complaints": ("complaints resolved in the buyer's favour", "判定商家责任的投诉数"),
    "spot_checks": ("test buys in the window", "抽检次数"),
    "failed_counterfeit_spot_checks": ("test buys that found counterfeit goods", "抽检发现假货次数"),
    "spot_check_pass_rate": ("test buys passed", "抽检合格率"),
    "confirmed_counterfeit_cases": ("counterfeits confirmed by a test buy or an analyst", "经抽检或审核确认的假货"),
    "reviews": ("reviews in the window", "评价数"),
    "suspected_fake_reviews": ("reviews flagged as likely fake", "疑似虚假评价数"),
    "fake_review_share": ("share of reviews flagged as likely fake", "疑似虚假评价占比"),
    "average_rating": ("average rating", "平均评分"),
    "adjusted_rating": ("average rating without reviews flagged as likely fake", "剔除疑似虚假评价后的平均评分"),
    "listings": ("listings on sale", "在售商品数"),
    "risky_listing_share": ("listings flagged for counterfeit or false-advertising risk", "疑似假冒或虚假宣传商品占比"),
    "pyramid_risk": ("risk score of the merchant's reseller chain (0–1)", "所在代理链的传销风险分（0–1）"),
    "pyramid_flagged": ("1 if the merchant's reseller chain meets the pyramid-selling test", "所在代理链符合传销认定标准"),
    "tenure_days": ("days since the shop registered", "开店天数"),
    "deposit": ("deposit held, CNY", "保证金（元）"),
    "verified": ("1 if the shop's identity is verified", "已实名认证"),
}
METRIC_DESCRIPTIONS = {name: texts[0] for name, texts in METRICS.items()}
METRIC_NAMES_ZH = {name: texts[1] for name, texts in METRICS.items()}
SMOOTHED = {"order_defect_rate": "order_defects", "cancellation_rate": "cancellations",
            "late_shipment_rate": "late_shipments", "complaint_rate": "complaints"}


def _between(column, window_start: dt.date, window_end: dt.date):
    return and_(column >= dt.datetime.combine(window_start, dt.time()),
                column < dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time()))


def upheld_appeals(session: Session) -> dict[str, set[str]]:
    """Subjects (by type) whose appeal was upheld: they no longer count against the merchant."""
    rows = session.execute(select(Appeal.subject_type, Appeal.subject_id).where(Appeal.status == "upheld")).all()
    out: dict[str, set[str]] = {"order": set(), "complaint": set(), "spot_check": set()}
    for subject_type, subject_id in rows:
        out.setdefault(subject_type, set()).add(subject_id)
    return out


@dataclasses.dataclass(frozen=True)
class MetricInputs:
    """What the metrics of one window read. The two big tables are aggregated by the database (orders and reviewed
    reviews per merchant, one query each per window); the small ones come as rows with their time, so a shorter window
    ending on the same day cuts them (:meth:`for_window`) instead of reading them again."""

    merchants: pd.DataFrame  # index merchant_id: registered_at, deposit, verified
    order_counts: pd.DataFrame  # index merchant_id: orders, order_defects, cancellations, late_shipments
    review_stats: pd.DataFrame  # index merchant_id: reviews, suspected_fake_reviews, average_rating, adjusted_rating
    complaints: pd.DataFrame  # complaint_id, merchant_id, order_id, status, at
    checks: pd.DataFrame  # check_id, merchant_id, result, at
    scores: pd.DataFrame  # the date's complaint, listing and agent scores: detector, entity_id, merchant_id, score, label
    confirmed: pd.DataFrame  # analysts' counterfeit labels on listings: merchant_id, at
    appeals: dict
    business_date: dt.date
    window_start: dt.date
    window_end: dt.date

    def for_window(self, window_start: dt.date, window_end: dt.date, order_counts: pd.DataFrame,
                   review_stats: pd.DataFrame) -> "MetricInputs":
        """The inputs of a window inside this one: the small tables cut, with that window's two aggregates."""
        start = pd.Timestamp(window_start)
        end = pd.Timestamp(window_end) + pd.Timedelta(days=1)

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            at = pd.to_datetime(frame["at"])
            return frame[(at >= start) & (at < end)]

        return dataclasses.replace(
            self, complaints=cut(self.complaints), checks=cut(self.checks), confirmed=cut(self.confirmed),
            order_counts=order_counts, review_stats=review_stats, window_start=window_start, window_end=window_end)


def _upheld_orders(window_start: dt.date, window_end: dt.date, appeals: dict):
    """Orders whose complaint in the window was resolved for the buyer (appealed complaints excluded), as a subquery."""
    return select(Complaint.order_id).where(
        _between(Complaint.created_at, window_start, window_end), Complaint.status == "resolved_for_buyer",
        Complaint.order_id.is_not(None), Complaint.complaint_id.not_in(sorted(appeals["complaint"])))


ORDER_COUNTS = ("orders", "order_defects", "cancellations", "late_shipments")
REVIEW_STATS = ("reviews", "suspected_fake_reviews", "average_rating", "adjusted_rating")


def _per_window(frame: pd.DataFrame, columns: tuple[str, ...], starts: list[dt.date]) -> list[pd.DataFrame]:
    """Split one aggregate row per merchant (columns suffixed _0, _1 … by window) into a frame per window, each with
    the merchants that had a row in that window (its count column above zero), as a query per window would give."""
    frame = frame.set_index("merchant_id")
    out = []
    for i in range(len(starts)):
        part = frame[[f"{c}_{i}" for c in columns]].set_axis(list(columns), axis=1)
        out.append(part[part[columns[0]].fillna(0) > 0].astype(float))
    return out


def _order_counts(session: Session, starts: list[dt.date], window_end: dt.date, appeals: dict) -> list[pd.DataFrame]:
    """For each window from ``starts[i]`` to ``window_end`` (the first the widest), consumer orders per merchant with
    their defects, cancellations and late shipments, counted by the database in one pass over the widest window: a
    defect is a refund for a defect reason or an order whose complaint in that window was upheld; an appealed order
    counts neither as a defect nor as late; stock bought by agents (a merchant as buyer) is not a consumer order."""
    appealed = Order.order_id.not_in(sorted(appeals["order"]))
    refunded = and_(Order.status == "refunded", Order.refund_reason.in_(DEFECT_REFUND_REASONS))
    late = and_(Order.shipped_late.is_(True), appealed)
    columns = []
    for i, start in enumerate(starts):
        inside = Order.ordered_at >= dt.datetime.combine(start, dt.time())
        defect = and_(or_(refunded, Order.order_id.in_(_upheld_orders(start, window_end, appeals))), appealed)
        columns += [func.sum(case((inside, 1), else_=0)).label(f"orders_{i}"),
                    func.sum(case((and_(inside, defect), 1), else_=0)).label(f"order_defects_{i}"),
                    func.sum(case((and_(inside, Order.status == "cancelled"), 1), else_=0)).label(f"cancellations_{i}"),
                    func.sum(case((and_(inside, late), 1), else_=0)).label(f"late_shipments_{i}")]
    statement = (select(Order.merchant_id, *columns)
                 .where(_between(Order.ordered_at, starts[0], window_end),
                        or_(Order.buyer_id.is_(None), Order.buyer_id.not_in(select(Merchant.merchant_id))))
                 .group_by(Order.merchant_id))
    return _per_window(read_frame(session, statement), ORDER_COUNTS, starts)


def _review_stats(session: Session, business_date: dt.date, starts: list[dt.date], window_end: dt.date) -> list[pd.DataFrame]:
    """For each window from ``starts[i]`` (the first the widest), reviews written in it and scored by the date's review
    detector, per merchant: how many, how many suspected (flagged), their mean rating and the mean of the unflagged
    ones, computed by the database in one pass."""
    suspected = DetectorScore.label.is_not(None)
    columns = []
    for i, start in enumerate(starts):
        inside = Review.created_at >= dt.datetime.combine(start, dt.time())
        columns += [func.sum(case((inside, 1), else_=0)).label(f"reviews_{i}"),
                    func.sum(case((and_(inside, suspected), 1), else_=0)).label(f"suspected_fake_reviews_{i}"),
                    cast(func.avg(case((inside, Review.rating))), Float).label(f"average_rating_{i}"),
                    cast(func.avg(case((and_(inside, ~suspected), Review.rating))), Float).label(f"adjusted_rating_{i}")]
    statement = (select(DetectorScore.merchant_id, *columns)
                 .join(Review, Review.review_id == DetectorScore.entity_id)
                 .where(DetectorScore.detector == "reviews", DetectorScore.business_date == business_date,
                        _between(Review.created_at, starts[0], window_end))
                 .group_by(DetectorScore.merchant_id))
    return _per_window(read_frame(session, statement), REVIEW_STATS, starts)


def read_metric_inputs(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date,
                       inner_starts: tuple[dt.date, ...] = ()) -> tuple[MetricInputs, list[tuple[pd.DataFrame, pd.DataFrame]]]:
    """One round of queries for a window: the order and review aggregates, complaints, test buys and analysts'
    labels in it, and the date's complaint, listing and agent scores; and, in the same passes, the two aggregates of
    each window from ``inner_starts`` to the same end."""
    appeals = upheld_appeals(session)
    merchants = read_frame(session, select(Merchant.merchant_id, Merchant.registered_at, Merchant.deposit, Merchant.verified)
                           .order_by(Merchant.merchant_id)).set_index("merchant_id")
    complaints = read_frame(session, select(Complaint.complaint_id, Complaint.merchant_id, Complaint.order_id, Complaint.status,
                                            Complaint.created_at.label("at"))
                            .where(_between(Complaint.created_at, window_start, window_end)))
    checks = read_frame(session, select(SpotCheck.check_id, SpotCheck.merchant_id, SpotCheck.result, SpotCheck.checked_at.label("at"))
                        .where(_between(SpotCheck.checked_at, window_start, window_end)))
    scores = read_frame(session, select(DetectorScore.detector, DetectorScore.entity_id, DetectorScore.merchant_id,
                                        DetectorScore.score, DetectorScore.label)
                        .where(DetectorScore.business_date == business_date, DetectorScore.detector != "reviews"))
    confirmed = read_frame(session, select(Listing.merchant_id, ModerationLabel.decided_at.label("at"))
                           .join(ModerationLabel, and_(ModerationLabel.entity_id == Listing.listing_id,
                                                       ModerationLabel.entity_type == "listing"))
                           .where(ModerationLabel.label == "counterfeit", _between(ModerationLabel.decided_at, window_start, window_end)))
    starts = [window_start, *inner_starts]
    orders, reviews = _order_counts(session, starts, window_end, appeals), _review_stats(session, business_date, starts, window_end)
    inputs = MetricInputs(merchants, orders[0], reviews[0], complaints, checks, scores, confirmed, appeals, business_date,
                          window_start, window_end)
    return inputs, list(zip(orders[1:], reviews[1:]))


def compute_merchant_metrics(session: Session, business_date: dt.date, window_start: dt.date,
                             window_end: dt.date) -> pd.DataFrame:
    """Wide frame indexed by merchant_id, one column per raw metric, over one window (no smoothing)."""
    return metrics_from_inputs(read_metric_inputs(session, business_date, window_start, window_end)[0])


def compute_both_windows(session: Session, business_date: dt.date, short, long) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics over the short and the long window (``Window``s), reading the small tables once, over the long
    one: the short window ends on the same day, so its rows are a cut of the long window's."""
    if (short.start, short.end) == (long.start, long.end):
        long_metrics = compute_merchant_metrics(session, business_date, long.start, long.end)
        return long_metrics, long_metrics
    if short.end != long.end or short.start < long.start:
        return (compute_merchant_metrics(session, business_date, short.start, short.end),
                compute_merchant_metrics(session, business_date, long.start, long.end))
    inputs, ((order_counts, review_stats),) = read_metric_inputs(session, business_date, long.start, long.end, (short.start,))
    return (metrics_from_inputs(inputs.for_window(short.start, short.end, order_counts, review_stats)),
            metrics_from_inputs(inputs))


def metrics_from_inputs(inputs: MetricInputs) -> pd.DataFrame:
    """Wide frame indexed by merchant_id, one column per raw metric (no smoothing), from one window's inputs."""
    appeals, merchants, scores = inputs.appeals, inputs.merchants, inputs.scores
    window_start, window_end = inputs.window_start, inputs.window_end
    complaints = inputs.complaints[~inputs.complaints["complaint_id"].isin(appeals["complaint"])].copy()
    checks = inputs.checks[~inputs.checks["check_id"].isin(appeals["spot_check"])].copy()

    out = pd.DataFrame(index=merchants.index)
    out["window_days"] = float((window_end - window_start).days + 1)
    for column in ("orders", "order_defects", "cancellations", "late_shipments"):
        out[column] = inputs.order_counts[column]

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
    confirmed = inputs.confirmed
    confirmed_labels = confirmed.groupby("merchant_id").size().astype(float) if not confirmed.empty else pd.Series(dtype=float)
    out["confirmed_counterfeit_cases"] = out["failed_counterfeit_spot_checks"].fillna(0).add(confirmed_labels, fill_value=0)

    stats = inputs.review_stats
    if not stats.empty:
        for column in ("reviews", "suspected_fake_reviews", "average_rating", "adjusted_rating"):
            out[column] = stats[column]
        out["fake_review_share"] = stats["suspected_fake_reviews"] / stats["reviews"]
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



def choose_windows(short: pd.DataFrame, long: pd.DataFrame, min_orders: int) -> pd.Series:
    """True where a merchant is judged on the short window (it had at least ``min_orders`` orders in it)."""
    return short["orders"].reindex(long.index).fillna(0.0) >= min_orders


def add_smoothed_rates(metrics: pd.DataFrame, prior_orders: float) -> pd.DataFrame:
    """``<rate>_smoothed`` = (count + k·platform rate) / (orders + k): a Beta(k·p, k·(1−p)) prior on each rate."""
    out = metrics.copy()
    total_orders = out["orders"].sum()
    for rate, count in SMOOTHED.items():
        platform = out[count].sum() / total_orders if total_orders else 0.0
        out[f"{rate}_smoothed"] = (out[count] + prior_orders * platform) / (out["orders"] + prior_orders) if prior_orders else out[rate]
    return out
