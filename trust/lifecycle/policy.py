"""The model policy file (``data/model_policy.toml``): the promotion rule's margin and tolerance, the time-split
holdout, the fixed regression sets, and the drift limits. Read and checked once; errors name the file and the key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from trust.settings import MODEL_DETECTORS, PROJECT_ROOT, SHIPPED_DATA

POLICY_FILE = SHIPPED_DATA / "model_policy.toml"


@dataclass(frozen=True)
class DriftLimits:
    psi_limit: float = 0.25
    flag_rate_ratio: float = 2.0
    min_nights: int = 5
    hold_grades: bool = False


@dataclass(frozen=True)
class Policy:
    holdout_days: int = 7
    margin: float = 0.01
    tolerance: float = 0.02
    min_holdout_rows: int = 20
    min_per_class: int = 5
    regression: dict = field(default_factory=dict)  # {detector: {"files": [Path], "generated": {...}, "real_sample": bool}}
    seed: dict = field(default_factory=dict)  # {"complaints": {"grammar_per_category": int, "real_labels": bool}}
    drift: DriftLimits = DriftLimits()
    source: str = str(POLICY_FILE)


def load_policy(path: Path | None = None) -> Policy:
    path = Path(path or os.environ.get("TRUST_MODEL_POLICY", POLICY_FILE))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: cannot read the model policy: {error}") from None

    def number(section: dict, key: str, where: str, kind=float, low: float = 0.0):
        value = section.get(key, getattr(Policy, key, None) if where == "promotion" else getattr(DriftLimits, key, None))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
            raise ValueError(f"{path}: [{where}] {key} = {value!r} must be a number of at least {low}")
        return kind(value)

    promotion = raw.get("promotion", {})
    regression = {}
    for detector, entry in raw.get("regression", {}).items():
        if detector not in MODEL_DETECTORS:
            raise ValueError(f"{path}: [regression.{detector}] names no detector with a model ({', '.join(MODEL_DETECTORS)})")
        files = [PROJECT_ROOT / f for f in entry.get("files", [])]
        for file in files:
            if not file.exists():
                raise ValueError(f"{path}: [regression.{detector}] files: {file} does not exist")
        regression[detector] = {"files": files, "generated": entry.get("generated"), "real_sample": bool(entry.get("real_sample", False))}
    seed = raw.get("seed", {})
    for detector, entry in seed.items():
        if detector != "complaints" or set(entry) - {"grammar_per_category", "real_labels"}:
            raise ValueError(f"{path}: [seed.{detector}] is not known: only [seed.complaints] with grammar_per_category and real_labels")
        number(entry, "grammar_per_category", "seed.complaints", int) if "grammar_per_category" in entry else None
    drift = raw.get("drift", {})
    hold = drift.get("hold_grades", False)
    if not isinstance(hold, bool):
        raise ValueError(f"{path}: [drift] hold_grades = {hold!r} must be true or false")
    return Policy(holdout_days=number(promotion, "holdout_days", "promotion", int, 1), margin=number(promotion, "margin", "promotion"),
                  tolerance=number(promotion, "tolerance", "promotion"),
                  min_holdout_rows=number(promotion, "min_holdout_rows", "promotion", int, 1),
                  min_per_class=number(promotion, "min_per_class", "promotion", int, 1), regression=regression, seed=seed,
                  drift=DriftLimits(psi_limit=number(drift, "psi_limit", "drift"), flag_rate_ratio=number(drift, "flag_rate_ratio", "drift", low=1.0),
                                    min_nights=number(drift, "min_nights", "drift", int, 1), hold_grades=hold),
                  source=str(path))
