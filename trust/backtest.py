"""Backtest a thresholds file: regrade past business dates from their stored metrics without publishing, and
report who would move and why."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from trust.db.engine import read_frame, read_table, session_scope
from trust.db.tables import GateHold, Grade, GradeOverride, MerchantMetric
from trust.scoring import tier_counts
from trust.settings import Settings
from trust.thresholds import TIER_ORDER, load_thresholds


@dataclass
class BacktestResult:
    thresholds_version: str
    days: list[dict] = field(default_factory=list)  # per date: tiers now, tiers under the file, movers
    movers: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: list[str] = field(default_factory=list)
    csv_path: Path | None = None


def backtest(settings: Settings, date_from: dt.date, date_to: dt.date, thresholds_path: Path) -> BacktestResult:
    """Regrade every date in [date_from, date_to] that has stored metrics under ``thresholds_path``.

    The metrics are those the nightly run computed (its windows); the scorecard, tiers, gates and hysteresis are
    the file's. Hysteresis carries from one backtested day to the next. Nothing is written to the warehouse."""
    from trust.pipeline import load_metrics, previous_grades
    from trust.scoring import grade_merchants, score_merchants

    if date_to < date_from:
        raise ValueError(f"--to {date_to} is before --from {date_from}")
    alternative = load_thresholds(thresholds_path)
    result = BacktestResult(alternative.version)
    movers = []
    with session_scope(settings.db_url) as session:
        dates = session.execute(select(MerchantMetric.business_date).distinct()
                                .where(MerchantMetric.business_date.between(date_from, date_to))
                                .order_by(MerchantMetric.business_date)).scalars().all()
        overrides = read_table(session, GradeOverride)
        holds = read_table(session, GateHold)
        previous = previous_grades(session, date_from)
        day = date_from
        while day <= date_to:
            if day not in dates:
                result.skipped.append(f"{day}: no stored metrics (the nightly run did not compute this date)")
            day += dt.timedelta(days=1)
        for day in dates:
            metrics = load_metrics(session, day).drop(columns=["window_start"])
            scores, points = score_merchants(metrics, alternative)
            regraded, _ = grade_merchants(metrics, scores, points, alternative, overrides, day, previous, holds)
            actual = read_frame(session, select(Grade.merchant_id, Grade.tier, Grade.score).where(Grade.business_date == day))
            both = regraded.merge(actual, on="merchant_id", how="left", suffixes=("_backtest", "_actual"))
            moved = both[both["tier_backtest"] != both["tier_actual"]]
            for row in moved.itertuples():
                reasons = [entry["text"] for entry in json.loads(row.decided_by)[:3]]
                movers.append({"business_date": day, "merchant_id": row.merchant_id, "tier_actual": row.tier_actual,
                               "tier_backtest": row.tier_backtest, "score_actual": row.score_actual,
                               "score_backtest": row.score_backtest, "why": " | ".join(reasons)})
            result.days.append({
                "business_date": day.isoformat(),
                "tiers_actual": tier_counts(both["tier_actual"]), "tiers_backtest": tier_counts(both["tier_backtest"]),
                "movers": len(moved),
                "up": int(sum(_rank(a) > _rank(b) for a, b in zip(moved["tier_actual"], moved["tier_backtest"]))),
            })
            previous = regraded[["merchant_id", "tier", "effective_from"]]
    result.movers = pd.DataFrame(movers, columns=["business_date", "merchant_id", "tier_actual", "tier_backtest", "score_actual",
                                                  "score_backtest", "why"])
    out_dir = settings.reports_dir / "backtests"
    out_dir.mkdir(parents=True, exist_ok=True)
    result.csv_path = out_dir / f"{date_from}_{date_to}_{alternative.version}.csv"
    result.movers.to_csv(result.csv_path, index=False)
    return result


def _rank(tier) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)
