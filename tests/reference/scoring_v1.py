"""The grading loop as it was before it was rewritten for speed (issue 21), kept only as the reference the fast path
must equal, output for output. Copied from trust/scoring.py at d06f17f; not used by the package."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from trust.scoring import _fmt, _worse, tier_for_score, tier_with_hysteresis
from trust.thresholds import TIER_ORDER, Thresholds


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
