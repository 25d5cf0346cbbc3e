"""The versioned thresholds file (TOML) that turns metrics into points and tiers."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from trust.metrics import METRIC_DESCRIPTIONS

TIER_ORDER = ("A", "B", "C", "D", "E")  # best first; N (not enough data) stands apart


@dataclass(frozen=True)
class ScorecardEntry:
    metric: str
    weight: float
    free: float
    cap: float
    text: str


@dataclass(frozen=True)
class Gate:
    metric: str
    at_least: float
    cap: str
    text: str
    count_metric: str | None = None
    min_count: float = 0.0
    until_reviewed: bool = False
    text_zh: str = ""


@dataclass(frozen=True, eq=False)
class Thresholds:
    version: str
    window_days: int
    long_window_days: int
    min_orders_for_short_window: int
    prior_orders: float
    hysteresis_margin: float
    min_orders: int
    tier_cutoffs: dict[str, float]
    tier_names: dict[str, str]
    scorecard: tuple[ScorecardEntry, ...]
    gates: tuple[Gate, ...]
    quality_gate: dict[str, float]


def load_thresholds(path: Path) -> Thresholds:
    """Read and check a thresholds file; a ValueError names the file and the bad entry."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read thresholds: {exc}") from None

    def need(mapping: dict, key: str, where: str):
        if key not in mapping:
            raise ValueError(f"{path}: [{where}] has no {key!r}")
        return mapping[key]

    tiers = need(raw, "tiers", "top level")
    for tier in (*TIER_ORDER, "N"):
        if tier not in tiers:
            raise ValueError(f"{path}: [tiers] has no tier {tier!r}")
    cutoffs = {tier: float(need(tiers[tier], "min_score", f"tiers.{tier}")) for tier in TIER_ORDER}
    window = raw.get("window", {})
    if int(window.get("long_days", window.get("days", 90))) < int(window.get("days", 90)):
        raise ValueError(f"{path}: [window] long_days must be at least days")
    ordered = [cutoffs[t] for t in TIER_ORDER]
    if ordered != sorted(ordered, reverse=True):
        raise ValueError(f"{path}: [tiers] min_score must fall from A to E, got {cutoffs}")
    scorecard = []
    for metric, entry in need(raw, "scorecard", "top level").items():
        if metric not in METRIC_DESCRIPTIONS:
            raise ValueError(f"{path}: [scorecard.{metric}] names no known metric; known: {', '.join(METRIC_DESCRIPTIONS)}")
        scorecard.append(ScorecardEntry(metric, float(need(entry, "weight", f"scorecard.{metric}")), float(entry.get("free", 0.0)),
                                        float(need(entry, "cap", f"scorecard.{metric}")), str(entry.get("text", metric))))
    gates = []
    for i, gate in enumerate(raw.get("gates", [])):
        metric = need(gate, "metric", f"gates[{i}]")
        cap = need(gate, "cap", f"gates[{i}]")
        if metric not in METRIC_DESCRIPTIONS or cap not in TIER_ORDER:
            raise ValueError(f"{path}: gates[{i}]: metric {metric!r} or cap {cap!r} is not known")
        gates.append(Gate(metric, float(need(gate, "at_least", f"gates[{i}]")), cap, str(gate.get("text", metric)),
                          gate.get("count_metric"), float(gate.get("min_count", 0)), bool(gate.get("until_reviewed", False)),
                          str(gate.get("text_zh", gate.get("text", metric)))))
    return Thresholds(
        version=str(need(raw, "version", "top level")),
        window_days=int(raw.get("window", {}).get("days", 90)),
        long_window_days=int(raw.get("window", {}).get("long_days", raw.get("window", {}).get("days", 90))),
        min_orders_for_short_window=int(raw.get("window", {}).get("min_orders_for_short_window", 0)),
        prior_orders=float(raw.get("smoothing", {}).get("prior_orders", 0.0)),
        hysteresis_margin=float(raw.get("hysteresis", {}).get("margin", 0.0)),
        min_orders=int(raw.get("sample", {}).get("min_orders", 20)),
        tier_cutoffs=cutoffs,
        tier_names={tier: str(tiers[tier].get("name", tier)) for tier in (*TIER_ORDER, "N")},
        scorecard=tuple(scorecard),
        gates=tuple(gates),
        quality_gate={k: float(v) for k, v in raw.get("quality_gate", {}).items()},
    )
