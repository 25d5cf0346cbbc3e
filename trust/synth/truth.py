"""Measuring against a generated marketplace's planted truth: its landing files read back whole, precision and
recall of a flag, and precision and recall of a review budget (the top share of scores)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def read_landing(root: Path, entity: str, columns: list[str] | None = None) -> pd.DataFrame:
    files = sorted((root / "landing" / entity).rglob("*.csv"))
    return pd.concat([pd.read_csv(f, usecols=columns, dtype=str) for f in files], ignore_index=True)


def precision_recall(predicted: pd.Series, actual: pd.Series) -> dict:
    tp = int((predicted & actual).sum())
    fp = int((predicted & ~actual).sum())
    fn = int((~predicted & actual).sum())
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else None, "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "true_positives": tp, "false_positives": fp, "false_negatives": fn}


def top_share_metrics(score: np.ndarray, y: np.ndarray, share: float) -> dict:
    k = max(1, int(round(share * len(score))))
    top = np.argsort(-score, kind="stable")[:k]
    return {"budget": k, "precision": round(float(y[top].mean()), 4), "recall": round(float(y[top].sum() / max(1, y.sum())), 4)}
