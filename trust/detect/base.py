"""Shared pieces of the detectors: the result frame, reasons in words, and noisy-OR evidence combination."""

from __future__ import annotations

import json
import numpy as np
import pandas as pd

RESULT_COLUMNS = ["entity_id", "entity_type", "merchant_id", "score", "label", "reasons"]


def combine(evidence: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Noisy-OR: score = 1 − Π(1 − weight·fired). Independent pieces of evidence add up without exceeding 1."""
    n = len(next(iter(evidence.values()))) if evidence else 0
    keep = np.ones(n)
    for code, fired in evidence.items():
        keep *= 1.0 - weights[code] * np.asarray(fired, dtype=float)
    return 1.0 - keep


def reasons_json(codes_and_texts: list[list[tuple[str, str]]]) -> list[str]:
    """Per row, its reasons as a JSON list of {code, text} ("[]" for a row without any: most rows of a night)."""
    return [json.dumps([{"code": c, "text": t} for c, t in items], ensure_ascii=False) if items else "[]"
            for items in codes_and_texts]


def collect_reasons(n: int, fired: dict[str, np.ndarray], texts: dict[str, list[str] | pd.Series]) -> list[str]:
    """Per row, the reasons of every rule that fired, in rule order."""
    per_row: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    for code, mask in fired.items():
        mask = np.asarray(mask, dtype=bool)
        words = texts[code]
        for i in np.flatnonzero(mask):
            per_row[i].append((code, words[i] if not isinstance(words, str) else words))
    return reasons_json(per_row)


def empty_result() -> pd.DataFrame:
    return pd.DataFrame(columns=RESULT_COLUMNS)
