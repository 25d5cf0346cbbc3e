"""The grading loop as it was before it was rewritten for speed (issue 21), kept only as the reference the fast path
must equal, output for output. Copied from trust/scoring.py at d06f17f; not used by the package."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from trust.metrics import METRIC_DESCRIPTIONS
from trust.thresholds import TIER_ORDER, Thresholds

MAX_SCORE = 1000.0


def score_merchants(metrics: pd.DataFrame, thresholds: Thresholds) -> tuple[pd.Series, pd.DataFrame]:
    """Return (score per merchant, points table: merchant_id, metric, value, points, explanation)."""
    points_rows = []
    total = pd.Series(MAX_SCORE, index=metrics.index)
    for entry in thresholds.scorecard:
        value = metrics[entry.metric].fillna(0.0)
        deduction = (entry.weight * (value - entry.free).clip(lower=0.0)).clip(upper=entry.cap)
        total -= deduction
        explanation = [
            f"{METRIC_DESCRIPTIONS[entry.metric]}: {_fmt(v, entry.metric)} (free up to {_fmt(entry.free, entry.metric)})"
            f" → −{d:.0f} points"
            for v, d in zip(value, deduction)
        ]
        points_rows.append(pd.DataFrame({"merchant_id": metrics.index, "metric": entry.metric, "value": value.to_numpy(),
                                         "points": -deduction.round(2).to_numpy(), "explanation": explanation}))
    points = pd.concat(points_rows, ignore_index=True) if points_rows else pd.DataFrame(
        columns=["merchant_id", "metric", "value", "points", "explanation"])
    return total.clip(lower=0.0).round(1), points


def _fmt(value: float, metric: str = "") -> str:
    """Shares and rates as percentages, counts and scores as plain numbers."""
    if metric.endswith(("_rate", "_share", "_smoothed")):
        return f"{value:.1%}"
    return f"{value:.2f}" if 0 < abs(value) < 1 else f"{value:g}"


def tier_for_score(score: float, thresholds: Thresholds) -> str:
    return next(t for t in TIER_ORDER if score >= thresholds.tier_cutoffs[t])


def tier_with_hysteresis(score: float, previous: str | None, thresholds: Thresholds) -> str:
    """Move up only when the score clears the better tier's cut-off by the margin; move down only when it falls
    the margin below the current tier's cut-off. Without a previous A–E tier, the plain cut-offs decide."""
    raw = tier_for_score(score, thresholds)
    if previous not in TIER_ORDER:
        return raw
    margin = thresholds.hysteresis_margin
    now, before = TIER_ORDER.index(raw), TIER_ORDER.index(previous)
    if now < before:  # better
        for candidate in TIER_ORDER[now:before]:
            if score >= thresholds.tier_cutoffs[candidate] + margin:
                return candidate
        return previous
    if now > before:  # worse
        return previous if score >= thresholds.tier_cutoffs[previous] - margin else raw
    return raw


def _worse(a: str, b: str) -> str:
    return a if TIER_ORDER.index(a) >= TIER_ORDER.index(b) else b


def grade_merchants(metrics: pd.DataFrame, scores: pd.Series, points: pd.DataFrame, thresholds: Thresholds,
                    overrides: pd.DataFrame, business_date: dt.date, previous: pd.DataFrame | None = None,
                    holds: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grade every merchant. Returns (grades, gates fired today that hold until reviewed).

    ``previous``: the last graded date's rows (merchant_id, tier, effective_from); ``holds``: gate holds
    (merchant_id, gate, cap, first_fired, text, cleared_at). ``decided_by`` (JSON) names every metric, value and
    threshold that decided the tier."""
    previous = previous if previous is not None else pd.DataFrame(columns=["merchant_id", "tier", "effective_from"])
    previous = previous.set_index("merchant_id")
    holds = holds if holds is not None else pd.DataFrame(columns=["merchant_id", "gate", "cap", "first_fired", "text", "cleared_at"])
    # A cleared hold or a revoked override no longer applies to any recomputation; the audit log keeps the history.
    active_holds = holds[(pd.to_datetime(holds["first_fired"]) <= pd.Timestamp(business_date)) & holds["cleared_at"].isna()]
    holds_by_merchant = {m: g for m, g in active_holds.groupby("merchant_id")}
    worst = points[points["points"] < 0].sort_values(["merchant_id", "points"]).groupby("merchant_id").head(3)
    worst_by_merchant = {m: g for m, g in worst.groupby("merchant_id")}
    live = overrides[(overrides["effective_from"] <= business_date) & (overrides["expires_on"] >= business_date)]
    if "revoked_at" in live.columns:
        live = live[live["revoked_at"].isna()]
    live = live.sort_values("id").groupby("merchant_id").tail(1).set_index("merchant_id") if not live.empty else live
    rows, fired_holds = [], []
    for merchant_id, metric_row in metrics.iterrows():
        score = float(scores[merchant_id])
        before = previous["tier"].get(merchant_id) if merchant_id in previous.index else None
        raw = tier_for_score(score, thresholds)
        tier = tier_with_hysteresis(score, before, thresholds)
        decided: list[dict] = []
        text = f"credit score {score:.0f} ≥ {thresholds.tier_cutoffs[raw]:.0f} → tier {raw}"
        if TIER_ORDER.index(raw) > 0:
            better = TIER_ORDER[TIER_ORDER.index(raw) - 1]
            text += f" (tier {better} needs {thresholds.tier_cutoffs[better]:.0f})"
        decided.append({"metric": "credit_score", "value": score, "threshold": thresholds.tier_cutoffs[raw], "effect": f"tier {raw}",
                        "text": text})
        if tier != raw:
            decided.append({"metric": "hysteresis", "value": score, "threshold": thresholds.hysteresis_margin, "effect": f"stays {tier}",
                            "text": f"stays {tier}: a move from {before} needs the score {thresholds.hysteresis_margin:.0f} points past "
                                    f"the cut-off"})
        for _, p in worst_by_merchant.get(merchant_id, pd.DataFrame()).iterrows():
            decided.append({"metric": p["metric"], "value": float(p["value"]), "threshold": None, "effect": f"{p['points']:.0f} points",
                            "text": p["explanation"]})
        caps: list[str] = []
        for gate in thresholds.gates:
            value = float(metric_row[gate.metric]) if pd.notna(metric_row[gate.metric]) else 0.0
            count = float(metric_row[gate.count_metric]) if gate.count_metric else None
            if value >= gate.at_least and (count is None or count >= gate.min_count):
                caps.append(gate.cap)
                if gate.until_reviewed:
                    fired_holds.append({"merchant_id": merchant_id, "gate": gate.metric, "cap": gate.cap,
                                        "first_fired": business_date, "text": gate.text})
                decided.append({"metric": gate.metric, "value": value, "threshold": gate.at_least, "effect": f"capped at {gate.cap}",
                                "text": f"hard gate: {gate.text} ({_fmt(value, gate.metric)} ≥ {_fmt(gate.at_least, gate.metric)}"
                                        + (f", {count:g} ≥ {gate.min_count:g} {gate.count_metric}" if count is not None else "") + ")"})
        fired_now = {h["gate"] for h in fired_holds if h["merchant_id"] == merchant_id}
        for hold in holds_by_merchant.get(merchant_id, pd.DataFrame()).itertuples():
            if hold.gate in fired_now:
                continue
            caps.append(hold.cap)
            decided.append({"metric": hold.gate, "value": None, "threshold": None, "effect": f"capped at {hold.cap}",
                            "text": f"hard gate held since {hold.first_fired} until an analyst reviews it: {hold.text}"})
        projected = raw
        for cap in caps:
            tier, projected = _worse(cap, tier), _worse(cap, projected)
        orders = float(metric_row["orders"])
        if orders < thresholds.min_orders and not caps:
            tier = projected = "N"
            decided.insert(0, {"metric": "orders", "value": orders, "threshold": thresholds.min_orders, "effect": "tier N",
                               "text": f"only {orders:.0f} orders in the window (< {thresholds.min_orders}): not enough data to grade"})
        if merchant_id in getattr(live, "index", []):
            override = live.loc[merchant_id]
            decided.insert(0, {"metric": "override", "value": None, "threshold": None, "effect": f"tier {override['tier']}",
                               "text": f"analyst override by {override['actor']} until {override['expires_on']}: {override['reason']} "
                                       f"(computed tier was {tier})"})
            tier = override["tier"]
        effective = previous["effective_from"].get(merchant_id) if before == tier else business_date
        rows.append({"merchant_id": merchant_id, "tier": tier, "tier_name": thresholds.tier_names[tier], "score": score,
                     "projected_tier": projected, "previous_tier": before, "effective_from": effective or business_date,
                     "decided_by": json.dumps(decided, ensure_ascii=False, default=str)})
    columns = ["merchant_id", "tier", "tier_name", "score", "projected_tier", "previous_tier", "effective_from", "decided_by"]
    return (pd.DataFrame(rows, columns=columns),
            pd.DataFrame(fired_holds, columns=["merchant_id", "gate", "cap", "first_fired", "text"]))


