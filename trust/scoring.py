"""Credit score (scorecard points from 1000) and grade tiers with gates, a small-sample tier and overrides."""

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
    if metric.endswith(("_rate", "_share")):
        return f"{value:.1%}"
    return f"{value:.2f}" if 0 < abs(value) < 1 else f"{value:g}"


def grade_merchants(metrics: pd.DataFrame, scores: pd.Series, points: pd.DataFrame, thresholds: Thresholds,
                    overrides: pd.DataFrame, business_date: dt.date) -> pd.DataFrame:
    """One grade per merchant: tier, name, and ``decided_by`` (JSON) naming the metrics that decided it."""
    rows = []
    worst = points[points["points"] < 0].sort_values(["merchant_id", "points"]).groupby("merchant_id").head(3)
    worst_by_merchant = {m: g for m, g in worst.groupby("merchant_id")}
    active = overrides[(overrides["effective_from"] <= business_date) & (overrides["expires_on"] >= business_date)]
    active = active.sort_values("id").groupby("merchant_id").tail(1).set_index("merchant_id") if not active.empty else active
    for merchant_id, metric_row in metrics.iterrows():
        score = float(scores[merchant_id])
        decided: list[dict] = []
        tier = next(t for t in TIER_ORDER if score >= thresholds.tier_cutoffs[t])
        position = TIER_ORDER.index(tier)
        text = f"credit score {score:.0f} ≥ {thresholds.tier_cutoffs[tier]:.0f} → tier {tier}"
        if position > 0:
            better = TIER_ORDER[position - 1]
            text += f" (tier {better} needs {thresholds.tier_cutoffs[better]:.0f})"
        decided.append({"metric": "credit_score", "value": score, "threshold": thresholds.tier_cutoffs[tier], "effect": f"tier {tier}",
                        "text": text})
        for _, p in worst_by_merchant.get(merchant_id, pd.DataFrame()).iterrows():
            decided.append({"metric": p["metric"], "value": float(p["value"]), "threshold": None, "effect": f"{p['points']:.0f} points",
                            "text": p["explanation"]})
        gated = False
        for gate in thresholds.gates:
            value = float(metric_row[gate.metric]) if pd.notna(metric_row[gate.metric]) else 0.0
            count = float(metric_row[gate.count_metric]) if gate.count_metric else None
            if value >= gate.at_least and (count is None or count >= gate.min_count):
                gated = True
                if TIER_ORDER.index(gate.cap) > TIER_ORDER.index(tier):
                    tier = gate.cap
                decided.append({"metric": gate.metric, "value": value, "threshold": gate.at_least, "effect": f"capped at {gate.cap}",
                                "text": f"hard gate: {gate.text} ({_fmt(value, gate.metric)} ≥ {_fmt(gate.at_least, gate.metric)}"
                                        + (f", {count:g} ≥ {gate.min_count:g} {gate.count_metric}" if count is not None else "") + ")"})
        orders = float(metric_row["orders"])
        if orders < thresholds.min_orders and not gated:
            tier = "N"
            decided.insert(0, {"metric": "orders", "value": orders, "threshold": thresholds.min_orders, "effect": "tier N",
                               "text": f"only {orders:.0f} orders in the window (< {thresholds.min_orders}): not enough data to grade"})
        if merchant_id in getattr(active, "index", []):
            override = active.loc[merchant_id]
            decided.insert(0, {"metric": "override", "value": None, "threshold": None, "effect": f"tier {override['tier']}",
                               "text": f"analyst override by {override['actor']} until {override['expires_on']}: {override['reason']} "
                                       f"(computed tier was {tier})"})
            tier = override["tier"]
        rows.append({"merchant_id": merchant_id, "tier": tier, "tier_name": thresholds.tier_names[tier], "score": score,
                     "decided_by": json.dumps(decided, ensure_ascii=False, default=str)})
    return pd.DataFrame(rows, columns=["merchant_id", "tier", "tier_name", "score", "decided_by"])


def population_stability(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected`` on the expected distribution's deciles."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if len(expected) == 0 or len(actual) == 0:
        return 0.0
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    e = np.histogram(expected, edges)[0] / len(expected)
    a = np.histogram(actual, edges)[0] / len(actual)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))
