"""Merchant metrics: per merchant, the rates and counts over its evaluation window that grades are made of.

The window adapts to volume: merchants with enough consumer orders in the short window (90 days) are judged on
it, everyone else on the long window (365 days). Rates are also given smoothed: shrunk toward the platform
mean by a Beta prior worth ``prior_orders`` pseudo-orders, so a handful of orders cannot swing a score.
Defects whose appeal was upheld do not count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from trust.db.engine import days_between as _between, per_window, read_frame
from trust.db.shards import Shard
from trust.db.tables import Appeal, Complaint, DetectorScore, Listing, Merchant, ModerationLabel, Order, SpotCheck
from trust.detect.base import MetricWindow
from trust.detect.registry import detectors

DEFECT_REFUND_REASONS = ("quality", "counterfeit", "not_as_described", "not_delivered")

# name → (English description, Chinese description): the metrics computed here; each detector adds its own
# (``trust.detect.base.Metric``), after these, in the registry's order.
CORE_METRICS: dict[str, tuple[str, str]] = {
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
    "upheld_complaints": ("complaints resolved in the buyer's favour", "判定商家责任的投诉数"),
    "spot_checks": ("test buys in the window", "抽检次数"),
    "failed_counterfeit_spot_checks": ("test buys that found counterfeit goods", "抽检发现假货次数"),
    "spot_check_pass_rate": ("test buys passed", "抽检合格率"),
    "confirmed_counterfeit_cases": ("counterfeits confirmed by a test buy or an analyst", "经抽检或审核确认的假货"),
    "tenure_days": ("days since the shop registered", "开店天数"),
    "deposit": ("deposit held, CNY", "保证金（元）"),
    "verified": ("1 if the shop's identity is verified", "已实名认证"),
}


_built: list = [None, {}]  # [the registry's state it was built from, the catalogue]


def _catalogue_of(registered: dict) -> dict[str, tuple[str, str]]:
    """The catalogue for one state of the registry (built once per state: it is read per merchant and metric)."""
    if _built[0] is not registered:
        out = dict(CORE_METRICS)
        for detector in registered.values():
            out.update({m.name: (m.en, m.zh) for m in detector.metrics})
        _built[:] = [registered, out]
    return _built[1]


class _Catalogue(Mapping):
    """metric name → its texts (``part`` 0: English, 1: Chinese; None: both), over the core metrics and those of the
    registered detectors (read when used, so a detector added through ``TRUST_DETECTORS`` is included)."""

    def __init__(self, part: int | None = None):
        self.part = part

    @staticmethod
    def _all() -> dict[str, tuple[str, str]]:
        return _catalogue_of(detectors())

    def __getitem__(self, name):
        texts = self._all()[name]
        return texts if self.part is None else texts[self.part]

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self._all())


METRICS = _Catalogue()
METRIC_DESCRIPTIONS = _Catalogue(0)
METRIC_NAMES_ZH = _Catalogue(1)
SMOOTHED = {"order_defect_rate": "order_defects", "cancellation_rate": "cancellations",
            "late_shipment_rate": "late_shipments", "complaint_rate": "complaints"}
SMOOTHED_METRICS = [f"{rate}_smoothed" for rate in SMOOTHED]


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
    own: dict  # detector name → what it read itself for this window (Detector.metric_inputs), for those that do
    complaints: pd.DataFrame  # complaint_id, merchant_id, order_id, status, at
    checks: pd.DataFrame  # check_id, merchant_id, result, at
    scores: pd.DataFrame  # the date's scores of the detectors that read nothing themselves: detector, entity_id, merchant_id, score, label
    confirmed: pd.DataFrame  # analysts' counterfeit labels on listings: merchant_id, at
    appeals: dict
    business_date: dt.date
    window_start: dt.date
    window_end: dt.date

    def for_window(self, window_start: dt.date, window_end: dt.date, order_counts: pd.DataFrame,
                   own: dict) -> "MetricInputs":
        """The inputs of a window inside this one: the small tables cut, with that window's two aggregates."""
        start = pd.Timestamp(window_start)
        end = pd.Timestamp(window_end) + pd.Timedelta(days=1)

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            at = pd.to_datetime(frame["at"])
            return frame[(at >= start) & (at < end)]

        return dataclasses.replace(
            self, complaints=cut(self.complaints), checks=cut(self.checks), confirmed=cut(self.confirmed),
            order_counts=order_counts, own=own, window_start=window_start, window_end=window_end)


def _upheld_orders(window_start: dt.date, window_end: dt.date, appeals: dict):
    """Orders whose complaint in the window was resolved for the buyer (appealed complaints excluded), as a subquery."""
    return select(Complaint.order_id).where(
        _between(Complaint.created_at, window_start, window_end), Complaint.status == "resolved_for_buyer",
        Complaint.order_id.is_not(None), Complaint.complaint_id.not_in(sorted(appeals["complaint"])))


ORDER_COUNTS = ("orders", "order_defects", "cancellations", "late_shipments")


def _order_counts(session: Session, starts: list[dt.date], window_end: dt.date, appeals: dict,
                  shard: Shard) -> list[pd.DataFrame]:
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
                 .where(_between(Order.ordered_at, starts[0], window_end), shard.has(Order.merchant_id),
                        or_(Order.buyer_id.is_(None), Order.buyer_id.not_in(select(Merchant.merchant_id))))
                 .group_by(Order.merchant_id))
    return per_window(read_frame(session, statement), ORDER_COUNTS, len(starts))


def read_metric_inputs(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date,
                       inner_starts: tuple[dt.date, ...] = (), shard: Shard = Shard(),
                       ) -> tuple[MetricInputs, list[tuple[pd.DataFrame, dict]]]:
    """One round of queries for a window, over the merchants of ``shard``: the order aggregates, complaints, test buys
    and analysts' labels in it, the date's scores of each detector, or what a detector reads itself (its
    ``metric_inputs``); and, in the same passes, the order aggregates and the detectors' own inputs of each window
    from ``inner_starts`` to the same end."""
    appeals = upheld_appeals(session)
    merchants = read_frame(session, select(Merchant.merchant_id, Merchant.registered_at, Merchant.deposit, Merchant.verified)
                           .where(shard.has(Merchant.merchant_id)).order_by(Merchant.merchant_id)).set_index("merchant_id")
    complaints = read_frame(session, select(Complaint.complaint_id, Complaint.merchant_id, Complaint.order_id, Complaint.status,
                                            Complaint.created_at.label("at"))
                            .where(_between(Complaint.created_at, window_start, window_end), shard.has(Complaint.merchant_id)))
    checks = read_frame(session, select(SpotCheck.check_id, SpotCheck.merchant_id, SpotCheck.result, SpotCheck.checked_at.label("at"))
                        .where(_between(SpotCheck.checked_at, window_start, window_end), shard.has(SpotCheck.merchant_id)))
    starts = [window_start, *inner_starts]
    own = {name: detector.metric_inputs(session, business_date, starts, window_end, shard) for name, detector in detectors().items()}
    own = {name: inputs for name, inputs in own.items() if inputs is not None}
    scores = read_frame(session, select(DetectorScore.detector, DetectorScore.entity_id, DetectorScore.merchant_id,
                                        DetectorScore.score, DetectorScore.label)
                        .where(DetectorScore.business_date == business_date, DetectorScore.detector.not_in(sorted(own)),
                               shard.has(DetectorScore.merchant_id)))
    confirmed = read_frame(session, select(Listing.merchant_id, ModerationLabel.decided_at.label("at"))
                           .join(ModerationLabel, and_(ModerationLabel.entity_id == Listing.listing_id,
                                                       ModerationLabel.entity_type == "listing"))
                           .where(ModerationLabel.label == "counterfeit", _between(ModerationLabel.decided_at, window_start, window_end),
                                  shard.has(Listing.merchant_id)))
    orders = _order_counts(session, starts, window_end, appeals, shard)
    inputs = MetricInputs(merchants, orders[0], {name: parts[0] for name, parts in own.items()}, complaints, checks, scores,
                          confirmed, appeals, business_date, window_start, window_end)
    return inputs, [(orders[i], {name: parts[i] for name, parts in own.items()}) for i in range(1, len(starts))]


def compute_merchant_metrics(session: Session, business_date: dt.date, window_start: dt.date,
                             window_end: dt.date, shard: Shard = Shard()) -> pd.DataFrame:
    """Wide frame indexed by merchant_id (those of ``shard``), one column per raw metric, over one window (no smoothing)."""
    return metrics_from_inputs(read_metric_inputs(session, business_date, window_start, window_end, shard=shard)[0])


def compute_both_windows(session: Session, business_date: dt.date, short, long,
                         shard: Shard = Shard()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics over the short and the long window (``Window``s) of the merchants of ``shard``, reading the small
    tables once, over the long one: the short window ends on the same day, so its rows are a cut of the long window's."""
    if (short.start, short.end) == (long.start, long.end):
        long_metrics = compute_merchant_metrics(session, business_date, long.start, long.end, shard)
        return long_metrics, long_metrics
    if short.end != long.end or short.start < long.start:
        return (compute_merchant_metrics(session, business_date, short.start, short.end, shard),
                compute_merchant_metrics(session, business_date, long.start, long.end, shard))
    inputs, ((order_counts, own),) = read_metric_inputs(session, business_date, long.start, long.end, (short.start,), shard)
    return (metrics_from_inputs(inputs.for_window(short.start, short.end, order_counts, own)),
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

    complaints["upheld"] = complaints["status"] == "resolved_for_buyer"
    by_complaint = complaints.groupby("merchant_id")
    out["complaints"] = by_complaint.size()
    out["upheld_complaints"] = by_complaint["upheld"].sum()

    checks["counterfeit"] = checks["result"] == "counterfeit"
    checks["passed"] = checks["result"] == "pass"
    by_check = checks.groupby("merchant_id")
    out["spot_checks"] = by_check.size()
    out["failed_counterfeit_spot_checks"] = by_check["counterfeit"].sum()
    out["spot_check_pass_rate"] = by_check["passed"].mean()
    confirmed = inputs.confirmed
    confirmed_labels = confirmed.groupby("merchant_id").size().astype(float) if not confirmed.empty else pd.Series(dtype=float)
    out["confirmed_counterfeit_cases"] = out["failed_counterfeit_spot_checks"].fillna(0).add(confirmed_labels, fill_value=0)

    end = pd.Timestamp(window_end) + pd.Timedelta(days=1)
    out["tenure_days"] = ((end - pd.to_datetime(merchants["registered_at"])).dt.days).clip(lower=0)
    out["deposit"] = merchants["deposit"]
    out["verified"] = merchants["verified"].astype(float)

    counts = ["orders", "order_defects", "cancellations", "late_shipments", "complaints", "upheld_complaints", "spot_checks",
              "failed_counterfeit_spot_checks", "confirmed_counterfeit_cases"]
    out[counts] = out[counts].fillna(0.0)
    orders_nonzero = out["orders"].where(out["orders"] > 0)
    for rate, count in SMOOTHED.items():
        out[rate] = (out[count] / orders_nonzero).fillna(0.0)
    for name, detector in detectors().items():
        window = MetricWindow(inputs.business_date, window_start, window_end, scores[scores["detector"] == name],
                              inputs.own.get(name), complaints, out["orders"])
        part = detector.merchant_metrics(window) if detector.metrics else None
        for metric in detector.metrics:
            values = part[metric.name].reindex(out.index) if metric.name in part else pd.Series(np.nan, index=out.index)
            out[metric.name] = values if np.isnan(metric.missing) else values.fillna(metric.missing)
    for column in METRICS:
        if column not in out.columns:
            out[column] = np.nan
    return out[list(METRICS)].astype(float).sort_index()



def choose_windows(short: pd.DataFrame, long: pd.DataFrame, min_orders: int) -> pd.Series:
    """True where a merchant is judged on the short window (it had at least ``min_orders`` orders in it)."""
    return short["orders"].reindex(long.index).fillna(0.0) >= min_orders


def add_smoothed_rates(metrics: pd.DataFrame, prior_orders: float, platform_rates: Mapping[str, float] | None = None,
                       ) -> pd.DataFrame:
    """``<rate>_smoothed`` = (count + k·platform rate) / (orders + k): a Beta(k·p, k·(1−p)) prior on each rate.
    ``platform_rates`` (smoothed metric → p) when the frame is one shard of the platform; otherwise p is the frame's."""
    out = metrics.copy()
    total_orders = out["orders"].sum()
    for rate, count in SMOOTHED.items():
        if platform_rates is not None:
            platform = platform_rates[f"{rate}_smoothed"]
        else:
            platform = out[count].sum() / total_orders if total_orders else 0.0
        out[f"{rate}_smoothed"] = (out[count] + prior_orders * platform) / (out["orders"] + prior_orders) if prior_orders else out[rate]
    return out
