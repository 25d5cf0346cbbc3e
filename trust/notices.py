"""Grade-change notices: for each merchant whose tier moved, what changed and why, in Chinese and in English.

Built from the structured ``decided_by`` entries (metric, value, threshold, effect), not by translating prose."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from trust.metrics import METRIC_DESCRIPTIONS, METRIC_NAMES_ZH
from trust.thresholds import Thresholds


def _value(metric: str, value) -> str:
    if value is None:
        return ""
    value = float(value)
    if metric.endswith(("_rate", "_share", "_smoothed")):
        return f"{value:.1%}"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _split_name(name: str) -> tuple[str, str]:
    zh, _, en = name.partition(" ")
    return zh, en or zh


def _reason(entry: dict, gates_zh: dict[str, str], gates_en: dict[str, str]) -> tuple[str, str]:
    metric, effect = entry["metric"], entry.get("effect", "")
    if metric == "override":
        return "审核人员人工调整", entry["text"]
    if metric == "hysteresis":
        return "分数接近等级线，暂维持原等级", entry["text"]
    if metric == "credit_score":
        return f"信用分 {entry['value']:.0f}", f"credit score {entry['value']:.0f}"
    if effect.startswith("capped at") and metric in gates_zh:
        cap = effect.split()[-1]
        return f"{gates_zh[metric]}（等级上限 {cap}）", f"{gates_en[metric]} (tier capped at {cap})"
    if metric == "orders":
        return (f"评估期内仅 {entry['value']:.0f} 笔订单，数据不足", f"only {entry['value']:.0f} orders in the window: not enough data")
    zh_name = METRIC_NAMES_ZH.get(metric, metric)
    en_name = METRIC_DESCRIPTIONS.get(metric, metric)
    shown = _value(metric, entry.get("value"))
    points = effect.replace(" points", "") if effect.endswith("points") else ""
    return (f"{zh_name} {shown}" + (f"（扣 {points.lstrip('-')} 分）" if points else ""),
            f"{en_name} {shown}" + (f" ({points} points)" if points else ""))


def build_notices(grades: pd.DataFrame, thresholds: Thresholds, business_date: dt.date) -> pd.DataFrame:
    """One notice per merchant whose tier differs from its previous graded tier."""
    gates_zh = {g.metric: g.text_zh for g in thresholds.gates}
    gates_en = {g.metric: g.text for g in thresholds.gates}
    moved = grades[grades["previous_tier"].notna() & (grades["tier"] != grades["previous_tier"])]
    rows = []
    for row in moved.itertuples():
        before_zh, before_en = _split_name(thresholds.tier_names[row.previous_tier])
        after_zh, after_en = _split_name(thresholds.tier_names[row.tier])
        reasons = [_reason(entry, gates_zh, gates_en) for entry in json.loads(row.decided_by)[:5]]
        rows.append({
            "merchant_id": row.merchant_id, "previous_tier": row.previous_tier, "tier": row.tier,
            "text_zh": f"您的店铺等级已由 {row.previous_tier}（{before_zh}）调整为 {row.tier}（{after_zh}），自 {business_date} 起生效。"
                       f"主要依据：" + "；".join(zh for zh, _ in reasons) + "。",
            "text_en": f"Your shop's grade changed from {row.previous_tier} ({before_en}) to {row.tier} ({after_en}), effective "
                       f"{business_date}. What decided it: " + "; ".join(en for _, en in reasons) + ".",
        })
    return pd.DataFrame(rows, columns=["merchant_id", "previous_tier", "tier", "text_zh", "text_en"])
