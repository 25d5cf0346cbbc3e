"""Grade documents as they were rendered before issue 21 (a dict per metric, then ``json.dumps``), kept only as the
reference the fast renderer must equal byte for byte. Copied from trust/lookup.py at d71c3da; not used by the package."""

from __future__ import annotations

import json

import pandas as pd

from trust.lookup import _iso, _none, _rules
from trust.metrics import METRIC_DESCRIPTIONS
from trust.thresholds import Thresholds


def _thresholds_view(metric: str, value: float, thresholds: Thresholds) -> dict:
    view: dict = {"metric": metric, "description": METRIC_DESCRIPTIONS.get(metric, metric), "value": value}
    card, gates = _rules(thresholds).get(metric, (None, []))
    if card is not None:
        view["scorecard"] = {"free_up_to": card.free, "weight": card.weight, "max_points_lost": card.cap,
                             "points_lost": round(min(card.cap, card.weight * max(0.0, value - card.free)), 2)}
    if gates:
        view["gates"] = [{"at_least": g.at_least, "cap": g.cap, "count_metric": g.count_metric, "min_count": g.min_count,
                          "fired": value >= g.at_least, "text": g.text} for g in gates]
    return view


def build_grade_documents(grades: pd.DataFrame, metrics: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    by_merchant: dict[str, list] = {}
    rows = zip(metrics["merchant_id"].tolist(), metrics["metric"].tolist(), metrics["value"].astype(float).tolist())
    for merchant, metric, value in sorted(rows):
        by_merchant.setdefault(merchant, []).append(_thresholds_view(metric, value, thresholds))
    bodies = []
    for row in grades.itertuples(index=False):
        bodies.append(json.dumps({
            "merchant_id": row.merchant_id,
            "tier": row.tier,
            "tier_name": row.tier_name,
            "projected_tier": _none(row.projected_tier),
            "previous_tier": _none(row.previous_tier),
            "effective_from": _iso(_none(row.effective_from)),
            "score": _none(row.score),
            "as_of": _iso(_none(row.business_date)),
            "window": {"start": _iso(_none(row.window_start)), "end": _iso(_none(row.window_end))},
            "grade_version": row.grade_version,
            "reasons": json.loads(row.decided_by),
            "metrics": by_merchant.get(row.merchant_id, []),
        }, ensure_ascii=False, default=str))
    return pd.DataFrame({"business_date": grades["business_date"].to_numpy(), "merchant_id": grades["merchant_id"].to_numpy(),
                         "body": bodies})
