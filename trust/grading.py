"""Grading: the stages after the detectors that turn a date's evidence into grades: merchant metrics over each
merchant's window, credit scores, grades with their gates, holds and hysteresis, the grade documents the lookup
service serves, and the date's withdrawal from the air while it is graded again. Plain functions of (settings,
business_date); the orchestration is ``trust.pipeline``, publication ``trust.publishing``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from trust import __version__
from trust.db.engine import read_columns, read_frame, read_table, replace_partition, session_scope
from trust.db.tables import (
    CreditScore, CreditScorePoint, GateHold, Grade, GradeDocument, GradeNotice, GradeOverride, Merchant, MerchantMetric, PlatformRate,
    PublishLog,
)
from trust.db.shards import Shard
from trust.metrics import SMOOTHED, SMOOTHED_METRICS, add_smoothed_rates, choose_windows, compute_both_windows
from trust.notices import build_notices
from trust.runs import PIPELINE_ACTOR
from trust.scoring import grade_merchants, score_merchants, tier_counts
from trust.settings import Settings
from trust.thresholds import Thresholds, load_thresholds

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date


def evaluation_window(business_date: dt.date, thresholds: Thresholds, long: bool = False) -> Window:
    """The short (default) or long evaluation window ending on the business date."""
    days = thresholds.long_window_days if long else thresholds.window_days
    return Window(business_date - dt.timedelta(days=days - 1), business_date)


def grade_version(business_date: dt.date, thresholds: Thresholds) -> str:
    return f"{business_date.isoformat()}/{thresholds.version}/trust-{__version__}"


def graded_version(session: Session, business_date: dt.date) -> str | None:
    """The grade version the date's grades were computed under (None: not graded)."""
    return session.execute(select(Grade.grade_version).where(Grade.business_date == business_date).limit(1)).scalar()


def run_merchant_metrics(settings: Settings, business_date: dt.date, shard: Shard | str | None = None) -> dict:
    """Metrics over each merchant's window (short with enough orders, long otherwise) for the merchants of ``shard``
    (default: all). The smoothed rates need the platform's rates, known once every shard is done: see
    :func:`run_platform_rates` and :func:`run_credit_scores`."""
    shard = Shard.parse(shard)
    thresholds = load_thresholds(settings.thresholds_path)
    short_window = evaluation_window(business_date, thresholds)
    long_window = evaluation_window(business_date, thresholds, long=True)
    with session_scope(settings.db_url) as session:
        short, long = compute_both_windows(session, business_date, short_window, long_window, shard)  # one read of the long window
        use_short = choose_windows(short, long, thresholds.min_orders_for_short_window)
        wide = long.where(~use_short, short.reindex(long.index), axis=0).drop(columns=SMOOTHED_METRICS)
        window_start = pd.Series(np.where(use_short, short_window.start, long_window.start), index=wide.index)
        written = replace_partition(session, MerchantMetric, business_date, _metric_rows(wide, window_start, business_date),
                                    where=[shard.has(MerchantMetric.merchant_id)])
    return {"shard": str(shard), "merchants": len(wide), "metric_rows": written, "short_window_merchants": int(use_short.sum())}


def _metric_rows(wide: pd.DataFrame, window_start: pd.Series, business_date: dt.date) -> pd.DataFrame:
    """Wide metrics (index merchant_id) as the rows ``merchant_metrics`` stores (an empty value is not stored)."""
    rows = wide.rename_axis("merchant_id").reset_index().melt(id_vars="merchant_id", var_name="metric",
                                                              value_name="value").dropna(subset=["value"])
    return rows.assign(business_date=business_date, window_start=rows["merchant_id"].map(window_start),
                       window_end=business_date, code_version=__version__)


def run_platform_rates(settings: Settings, business_date: dt.date) -> dict:
    """Once, after every metric shard: the platform-wide rates the smoothed rates shrink toward (every merchant's
    defects, cancellations, late shipments and complaints over every merchant's consumer orders, summed by the
    database), kept in ``platform_rates``. A rerun's grades will replace the date's, so a published date goes off the
    air here, before any grade shard writes."""
    thresholds = load_thresholds(settings.thresholds_path)
    counts = ["orders", *SMOOTHED.values()]
    with session_scope(settings.db_url) as session:
        totals = dict(session.execute(select(MerchantMetric.metric, func.sum(MerchantMetric.value))
                                      .where(MerchantMetric.business_date == business_date, MerchantMetric.metric.in_(counts))
                                      .group_by(MerchantMetric.metric)).all())
        if "orders" not in totals:
            raise RuntimeError(f"no merchant metrics for {business_date}: run the metrics stage first")
        known = session.execute(select(func.count()).select_from(Merchant)).scalar_one()
        measured = session.execute(select(func.count()).where(MerchantMetric.business_date == business_date,
                                                              MerchantMetric.metric == "orders")).scalar_one()
        if measured != known:  # a shard's task has not run (or ran for another date's merchants): the prior would be off
            raise RuntimeError(f"merchant metrics of {business_date} cover {measured:,} of {known:,} merchants: a shard of "
                               "the merchant_metrics stage is missing; run every shard (trust stage merchant_metrics "
                               "--shard i/N) before platform_rates")
        orders = float(totals["orders"])
        rows = [{"metric": f"{rate}_smoothed", "count_total": float(totals.get(count) or 0.0), "orders_total": orders,
                 "rate": float(totals.get(count) or 0.0) / orders if orders else 0.0, "prior_orders": float(thresholds.prior_orders)}
                for rate, count in SMOOTHED.items()]
        replace_partition(session, PlatformRate, business_date, pd.DataFrame(rows).assign(business_date=business_date))
        _withdraw_if_servable(session, business_date, dt.datetime.now(settings.tz).replace(tzinfo=None))
    return {"orders": orders, "rates": {row["metric"]: round(row["rate"], 6) for row in rows}}


def load_metrics(session: Session, business_date: dt.date, long_too: bool = False, shard: Shard = Shard()):
    """Wide metrics for the date of the merchants of ``shard``, with each merchant's ``window_start`` as an extra
    column (and, with ``long_too``, the rows as stored: merchant_id, metric, value)."""
    day = and_(MerchantMetric.business_date == business_date, shard.has(MerchantMetric.merchant_id))
    long = read_columns(session, select(MerchantMetric.merchant_id, MerchantMetric.metric, MerchantMetric.value).where(day))
    if long.empty:
        raise RuntimeError(f"no merchant metrics for {business_date}" + ("" if shard.whole else f" in shard {shard}")
                           + ": run the metrics stage first")
    wide = long.pivot(index="merchant_id", columns="metric", values="value").sort_index()
    # One window per merchant: read once per merchant, not once per metric row (a date parsed per row cost a second).
    starts = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.window_start).where(day).distinct())
    wide["window_start"] = starts.drop_duplicates("merchant_id").set_index("merchant_id")["window_start"]
    return (wide, long) if long_too else wide


def run_credit_scores(settings: Settings, business_date: dt.date, shard: Shard | str | None = None) -> dict:
    """The shard's smoothed rates (each merchant's rate shrunk toward the date's platform rate, from
    :func:`run_platform_rates`), stored with its metrics, then its credit scores and their points."""
    shard = Shard.parse(shard)
    thresholds = load_thresholds(settings.thresholds_path)
    with session_scope(settings.db_url) as session:
        metrics = load_metrics(session, business_date, shard=shard)
        window_start = metrics.pop("window_start")
        rates = session.execute(select(PlatformRate.metric, PlatformRate.rate, PlatformRate.orders_total)
                                .where(PlatformRate.business_date == business_date)).all()
        if not rates:
            raise RuntimeError(f"no platform rates for {business_date}: run the platform_rates stage first")
        orders_now = session.execute(select(func.sum(MerchantMetric.value)).where(
            MerchantMetric.business_date == business_date, MerchantMetric.metric == "orders")).scalar_one()
        if float(orders_now or 0.0) != rates[0].orders_total:  # the metrics were recomputed after the prior was taken
            raise RuntimeError(f"the platform rates of {business_date} were computed from {rates[0].orders_total:,.0f} orders, "
                               f"the merchant metrics now count {float(orders_now or 0):,.0f}: run platform_rates again "
                               "(after every merchant_metrics shard) before the credit scores")
        platform = {metric: rate for metric, rate, _ in rates}
        metrics = add_smoothed_rates(metrics, thresholds.prior_orders, platform)
        replace_partition(session, MerchantMetric, business_date,
                          _metric_rows(metrics[SMOOTHED_METRICS], window_start, business_date),
                          where=[shard.has(MerchantMetric.merchant_id), MerchantMetric.metric.in_(SMOOTHED_METRICS)])
        scores, points = score_merchants(metrics, thresholds)
        frame = pd.DataFrame({"merchant_id": scores.index, "score": scores.to_numpy(), "business_date": business_date,
                              "scorecard_version": thresholds.version})
        replace_partition(session, CreditScore, business_date, frame, where=[shard.has(CreditScore.merchant_id)])
        replace_partition(session, CreditScorePoint, business_date, points.assign(business_date=business_date),
                          where=[shard.has(CreditScorePoint.merchant_id)])
    return {"shard": str(shard), "merchants": len(scores), "mean_score": round(float(scores.mean()), 1) if len(scores) else None}


def previous_grades(session: Session, business_date: dt.date, shard: Shard = Shard()) -> pd.DataFrame:
    """The grades of the latest graded date before ``business_date`` (empty on the first run), of the shard's merchants."""
    latest = session.execute(select(func.max(Grade.business_date)).where(Grade.business_date < business_date)).scalar_one_or_none()
    if latest is None:
        return pd.DataFrame(columns=["merchant_id", "tier", "effective_from"])
    return read_frame(session, select(Grade.merchant_id, Grade.tier, Grade.effective_from)
                      .where(Grade.business_date == latest, shard.has(Grade.merchant_id)))


def run_grades(settings: Settings, business_date: dt.date, shard: Shard | str | None = None) -> dict:
    """Grades of the shard's merchants with their gates, holds and hysteresis, their documents and notices."""
    shard = Shard.parse(shard)
    thresholds = load_thresholds(settings.thresholds_path)
    with session_scope(settings.db_url) as session:
        metrics, long_metrics = load_metrics(session, business_date, long_too=True, shard=shard)
        window_start = metrics.pop("window_start")
        scores = read_frame(session, select(CreditScore.merchant_id, CreditScore.score)
                            .where(CreditScore.business_date == business_date, shard.has(CreditScore.merchant_id))
                            ).set_index("merchant_id")["score"]
        points = read_frame(session, select(CreditScorePoint.merchant_id, CreditScorePoint.metric, CreditScorePoint.value,
                                            CreditScorePoint.points, CreditScorePoint.explanation)
                            .where(CreditScorePoint.business_date == business_date, shard.has(CreditScorePoint.merchant_id)))
        overrides = read_table(session, GradeOverride, shard.has(GradeOverride.merchant_id))
        holds = read_table(session, GateHold, shard.has(GateHold.merchant_id))
        grades, fired = grade_merchants(metrics, scores, points, thresholds, overrides, business_date,
                                        previous_grades(session, business_date, shard), holds)
        grades = grades.assign(business_date=business_date, window_start=grades["merchant_id"].map(window_start),
                               window_end=business_date, grade_version=grade_version(business_date, thresholds))
        # Normally done by the platform_rates stage; again here for a rerun of the grades alone.
        _withdraw_if_servable(session, business_date, dt.datetime.now(settings.tz).replace(tzinfo=None))
        replace_partition(session, Grade, business_date, grades, where=[shard.has(Grade.merchant_id)])
        write_grade_documents(session, grades, business_date, thresholds, long_metrics, shard)
        _record_holds(session, holds, fired, business_date, thresholds.long_window_days)
        notices = build_notices(grades, thresholds, business_date).assign(business_date=business_date)
        replace_partition(session, GradeNotice, business_date, notices, where=[shard.has(GradeNotice.merchant_id)])
    return {"shard": str(shard), "graded": len(grades), "tiers": tier_counts(grades["tier"]), "notices": len(notices)}


def write_grade_documents(session: Session, grades: pd.DataFrame, business_date: dt.date, thresholds,
                          metrics: pd.DataFrame | None = None, shard: Shard = Shard()) -> None:
    """Render the lookup service's document of every grade of ``business_date`` (see trust.lookup) of the shard's
    merchants (``grades`` are theirs); ``metrics``: their metric rows when already read."""
    from trust.lookup import build_grade_documents

    if metrics is None:
        metrics = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.metric, MerchantMetric.value)
                             .where(MerchantMetric.business_date == business_date, shard.has(MerchantMetric.merchant_id)))
    documents = build_grade_documents(grades, metrics, thresholds)
    replace_partition(session, GradeDocument, business_date, documents, where=[shard.has(GradeDocument.merchant_id)])


def _record_holds(session: Session, holds: pd.DataFrame, fired: pd.DataFrame, business_date: dt.date,
                  window_days: int) -> None:
    """A gate that holds until reviewed starts a hold the first time it fires. After an analyst cleared it, it
    holds again only when it fires on evidence newer than the review (once what was reviewed has left the window)."""
    # (merchant, gate) → when an analyst cleared it (None: still held), looked up per fired gate without pandas.
    cleared = dict(zip(zip(holds["merchant_id"], holds["gate"]), holds["cleared_at"])) if not holds.empty else {}
    for row in fired.itertuples(index=False):
        key = (row.merchant_id, row.gate)
        if key in cleared:
            if pd.isna(cleared[key]):
                continue  # already held
            reviewed_until = pd.Timestamp(cleared[key]).date() + dt.timedelta(days=window_days)
            if business_date <= reviewed_until:
                continue  # the evidence the analyst reviewed is still what fires the gate
            session.execute(delete(GateHold).where(GateHold.merchant_id == row.merchant_id, GateHold.gate == row.gate))
        session.add(GateHold(merchant_id=row.merchant_id, gate=row.gate, cap=row.cap, first_fired=business_date, text=row.text))


def _withdraw_if_servable(session: Session, business_date: dt.date, now: dt.datetime) -> None:
    """A rerun's grades replace the date's: take the date off the air in the same transaction, until its own quality
    gate passes or an analyst releases it again."""
    from trust.lookup import latest_decision

    decision = latest_decision(session, business_date)
    if decision is not None and decision.status == "published":
        session.add(PublishLog(business_date=business_date, grade_version=decision.grade_version,  # what goes off the air
                               status="withdrawn", actor=PIPELINE_ACTOR, decided_at=now,
                               reason=f"grades of {business_date} recomputed: not served until the quality gate passes "
                                      "or an analyst releases them"))
