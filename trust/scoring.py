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
    # Plain dicts and arrays read per merchant (no pandas row objects in the loop: 8,500 merchants in well under a second).
    holds_by_merchant: dict[str, list] = {}
    for hold in active_holds.itertuples(index=False):
        holds_by_merchant.setdefault(hold.merchant_id, []).append(hold)
    worst = points[points["points"] < 0].sort_values(["merchant_id", "points"]).groupby("merchant_id").head(3)
    worst_by_merchant: dict[str, list] = {}
    for merchant, metric, value, points_lost, explanation in zip(worst["merchant_id"], worst["metric"], worst["value"],
                                                                 worst["points"], worst["explanation"]):
        worst_by_merchant.setdefault(merchant, []).append((metric, value, points_lost, explanation))
    live = overrides[(overrides["effective_from"] <= business_date) & (overrides["expires_on"] >= business_date)]
    if "revoked_at" in live.columns:
        live = live[live["revoked_at"].isna()]
    live_by_merchant = ({row["merchant_id"]: row for row in live.sort_values("id").groupby("merchant_id").tail(1).to_dict("records")}
                        if not live.empty else {})
    previous_tier = previous["tier"].to_dict() if "tier" in previous else {}
    previous_from = previous["effective_from"].to_dict() if "effective_from" in previous else {}
    merchants = metrics.index.tolist()
    score_of = scores.reindex(metrics.index).astype(float).tolist()
    orders_of = metrics["orders"].astype(float).tolist()
    gate_values = {gate.metric: metrics[gate.metric].tolist() for gate in thresholds.gates}
    gate_counts = {gate.count_metric: metrics[gate.count_metric].tolist() for gate in thresholds.gates if gate.count_metric}
    rows, fired_holds = [], []
    for i, merchant_id in enumerate(merchants):
        score = score_of[i]
        before = previous_tier.get(merchant_id)
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
        for metric, value, points_lost, explanation in worst_by_merchant.get(merchant_id, ()):
            decided.append({"metric": metric, "value": float(value), "threshold": None, "effect": f"{points_lost:.0f} points",
                            "text": explanation})
        caps: list[str] = []
        fired_now: set[str] = set()
        for gate in thresholds.gates:
            found = gate_values[gate.metric][i]
            value = float(found) if pd.notna(found) else 0.0
            count = float(gate_counts[gate.count_metric][i]) if gate.count_metric else None
            if value >= gate.at_least and (count is None or count >= gate.min_count):
                caps.append(gate.cap)
                if gate.until_reviewed:
                    fired_holds.append({"merchant_id": merchant_id, "gate": gate.metric, "cap": gate.cap,
                                        "first_fired": business_date, "text": gate.text})
                    fired_now.add(gate.metric)
                decided.append({"metric": gate.metric, "value": value, "threshold": gate.at_least, "effect": f"capped at {gate.cap}",
                                "text": f"hard gate: {gate.text} ({_fmt(value, gate.metric)} ≥ {_fmt(gate.at_least, gate.metric)}"
                                        + (f", {count:g} ≥ {gate.min_count:g} {gate.count_metric}" if count is not None else "") + ")"})
        for hold in holds_by_merchant.get(merchant_id, ()):
            if hold.gate in fired_now:
                continue
            caps.append(hold.cap)
            decided.append({"metric": hold.gate, "value": None, "threshold": None, "effect": f"capped at {hold.cap}",
                            "text": f"hard gate held since {hold.first_fired} until an analyst reviews it: {hold.text}"})
        projected = raw
        for cap in caps:
            tier, projected = _worse(cap, tier), _worse(cap, projected)
        orders = orders_of[i]
        if orders < thresholds.min_orders and not caps:
            tier = projected = "N"
            decided.insert(0, {"metric": "orders", "value": orders, "threshold": thresholds.min_orders, "effect": "tier N",
                               "text": f"only {orders:.0f} orders in the window (< {thresholds.min_orders}): not enough data to grade"})
        override = live_by_merchant.get(merchant_id)
        if override is not None:
            decided.insert(0, {"metric": "override", "value": None, "threshold": None, "effect": f"tier {override['tier']}",
                               "text": f"analyst override by {override['actor']} until {override['expires_on']}: {override['reason']} "
                                       f"(computed tier was {tier})"})
            tier = override["tier"]
        effective = previous_from.get(merchant_id) if before == tier else business_date
        rows.append({"merchant_id": merchant_id, "tier": tier, "tier_name": thresholds.tier_names[tier], "score": score,
                     "projected_tier": projected, "previous_tier": before, "effective_from": effective or business_date,
                     "decided_by": json.dumps(decided, ensure_ascii=False, default=str)})
    columns = ["merchant_id", "tier", "tier_name", "score", "projected_tier", "previous_tier", "effective_from", "decided_by"]
    return (pd.DataFrame(rows, columns=columns),
            pd.DataFrame(fired_holds, columns=["merchant_id", "gate", "cap", "first_fired", "text"]))


def tier_counts(tiers: pd.Series) -> dict[str, int]:
    """Merchants per tier, in tier order of the labels."""
    return {str(k): int(v) for k, v in tiers.value_counts().sort_index().items()}


def population_stability(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected`` on the expected distribution's deciles."""
    reference = decile_reference(expected, bins)
    return stability_against(reference, actual) if reference is not None else 0.0


def decile_reference(expected: np.ndarray, bins: int = 10) -> dict | None:
    """The bins (the expected values' deciles, open-ended) and the expected share in each: what a PSI compares with.
    None when there is nothing to compare with (no values, or a single value)."""
    expected = np.asarray(expected, dtype=float)
    expected = expected[np.isfinite(expected)]
    if len(expected) == 0:
        return None
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return None
    inner = edges[1:-1]
    shares = np.bincount(np.searchsorted(inner, expected, side="right"), minlength=len(inner) + 1) / len(expected)
    return {"edges": [float(x) for x in inner], "shares": [float(x) for x in shares]}


def stability_against(reference: dict, actual: np.ndarray) -> float:
    """PSI of ``actual`` against a :func:`decile_reference`."""
    actual = np.asarray(actual, dtype=float)
    actual = actual[np.isfinite(actual)]
    if len(actual) == 0:
        return 0.0
    inner = np.asarray(reference["edges"])
    e = np.asarray(reference["shares"])
    a = np.bincount(np.searchsorted(inner, actual, side="right"), minlength=len(inner) + 1) / len(actual)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))
