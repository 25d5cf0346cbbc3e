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
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trust import __version__
from trust.db.engine import read_frame, read_table, replace_partition, session_scope
from trust.db.tables import (
    CreditScore, CreditScorePoint, GateHold, Grade, GradeDocument, GradeNotice, GradeOverride, MerchantMetric, PublishLog,
)
from trust.metrics import add_smoothed_rates, choose_windows, compute_both_windows
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


def run_merchant_metrics(settings: Settings, business_date: dt.date) -> dict:
    """Metrics over each merchant's window (short with enough orders, long otherwise), rates also smoothed."""
    thresholds = load_thresholds(settings.thresholds_path)
    short_window = evaluation_window(business_date, thresholds)
    long_window = evaluation_window(business_date, thresholds, long=True)
    with session_scope(settings.db_url) as session:
        short, long = compute_both_windows(session, business_date, short_window, long_window)  # one read of the long window
        use_short = choose_windows(short, long, thresholds.min_orders_for_short_window)
        wide = add_smoothed_rates(long.where(~use_short, short.reindex(long.index), axis=0), thresholds.prior_orders)
        window_start = pd.Series(np.where(use_short, short_window.start, long_window.start), index=wide.index)
        long_rows = wide.reset_index().melt(id_vars="merchant_id", var_name="metric", value_name="value").dropna(subset=["value"])
        long_rows = long_rows.assign(business_date=business_date, window_start=long_rows["merchant_id"].map(window_start),
                                     window_end=business_date, code_version=__version__)
        written = replace_partition(session, MerchantMetric, business_date, long_rows)
    return {"merchants": len(wide), "metric_rows": written, "short_window_merchants": int(use_short.sum())}


def load_metrics(session: Session, business_date: dt.date, long_too: bool = False):
    """Wide metrics for the date, with each merchant's ``window_start`` as an extra column (and, with ``long_too``,
    the rows as stored: merchant_id, metric, value)."""
    day = MerchantMetric.business_date == business_date
    long = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.metric, MerchantMetric.value).where(day))
    if long.empty:
        raise RuntimeError(f"no merchant metrics for {business_date}: run the metrics stage first")
    wide = long.pivot(index="merchant_id", columns="metric", values="value").sort_index()
    # One window per merchant: read once per merchant, not once per metric row (a date parsed per row cost a second).
    starts = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.window_start).where(day).distinct())
    wide["window_start"] = starts.drop_duplicates("merchant_id").set_index("merchant_id")["window_start"]
    return (wide, long) if long_too else wide


def run_credit_scores(settings: Settings, business_date: dt.date) -> dict:
    thresholds = load_thresholds(settings.thresholds_path)
    with session_scope(settings.db_url) as session:
        metrics = load_metrics(session, business_date).drop(columns=["window_start"])
        scores, points = score_merchants(metrics, thresholds)
        frame = pd.DataFrame({"merchant_id": scores.index, "score": scores.to_numpy(), "business_date": business_date,
                              "scorecard_version": thresholds.version})
        replace_partition(session, CreditScore, business_date, frame)
        replace_partition(session, CreditScorePoint, business_date, points.assign(business_date=business_date))
    return {"merchants": len(scores), "mean_score": round(float(scores.mean()), 1) if len(scores) else None}


def previous_grades(session: Session, business_date: dt.date) -> pd.DataFrame:
    """The grades of the latest graded date before ``business_date`` (empty on the first run)."""
    latest = session.execute(select(func.max(Grade.business_date)).where(Grade.business_date < business_date)).scalar_one_or_none()
    if latest is None:
        return pd.DataFrame(columns=["merchant_id", "tier", "effective_from"])
    return read_frame(session, select(Grade.merchant_id, Grade.tier, Grade.effective_from).where(Grade.business_date == latest))


def run_grades(settings: Settings, business_date: dt.date) -> dict:
    thresholds = load_thresholds(settings.thresholds_path)
    with session_scope(settings.db_url) as session:
        metrics, long_metrics = load_metrics(session, business_date, long_too=True)
        window_start = metrics.pop("window_start")
        scores = read_frame(session, select(CreditScore.merchant_id, CreditScore.score)
                            .where(CreditScore.business_date == business_date)).set_index("merchant_id")["score"]
        points = read_frame(session, select(CreditScorePoint.merchant_id, CreditScorePoint.metric, CreditScorePoint.value,
                                            CreditScorePoint.points, CreditScorePoint.explanation)
                            .where(CreditScorePoint.business_date == business_date))
        overrides = read_table(session, GradeOverride)
        holds = read_table(session, GateHold)
        grades, fired = grade_merchants(metrics, scores, points, thresholds, overrides, business_date,
                                        previous_grades(session, business_date), holds)
        grades = grades.assign(business_date=business_date, window_start=grades["merchant_id"].map(window_start),
                               window_end=business_date, grade_version=grade_version(business_date, thresholds))
        _withdraw_if_servable(session, business_date, dt.datetime.now(settings.tz).replace(tzinfo=None))
        replace_partition(session, Grade, business_date, grades)
        write_grade_documents(session, grades, business_date, thresholds, long_metrics)
        _record_holds(session, holds, fired, business_date, thresholds.long_window_days)
        notices = build_notices(grades, thresholds, business_date).assign(business_date=business_date)
        replace_partition(session, GradeNotice, business_date, notices)
    return {"graded": len(grades), "tiers": tier_counts(grades["tier"]), "notices": len(notices)}


def write_grade_documents(session: Session, grades: pd.DataFrame, business_date: dt.date, thresholds,
                          metrics: pd.DataFrame | None = None) -> None:
    """Render the lookup service's document of every grade of ``business_date`` (see trust.lookup); ``metrics``: the
    date's metric rows when already read."""
    from trust.lookup import build_grade_documents

    if metrics is None:
        metrics = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.metric, MerchantMetric.value)
                             .where(MerchantMetric.business_date == business_date))
    documents = build_grade_documents(grades, metrics, thresholds)
    replace_partition(session, GradeDocument, business_date, documents)


def _record_holds(session: Session, holds: pd.DataFrame, fired: pd.DataFrame, business_date: dt.date,
                  window_days: int) -> None:
    """A gate that holds until reviewed starts a hold the first time it fires. After an analyst cleared it, it
    holds again only when it fires on evidence newer than the review (once what was reviewed has left the window)."""
    existing = holds.set_index(["merchant_id", "gate"]) if not holds.empty else None
    for row in fired.itertuples(index=False):
        key = (row.merchant_id, row.gate)
        if existing is not None and key in existing.index:
            if pd.isna(existing.loc[key, "cleared_at"]):
                continue  # already held
            reviewed_until = pd.Timestamp(existing.loc[key, "cleared_at"]).date() + dt.timedelta(days=window_days)
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
