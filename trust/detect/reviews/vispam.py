"""ViSpamReviews (real Vietnamese e-commerce reviews labelled spam or not by people) through the generic CSV path.

A thin wrapper, by design: the split files are copied with ``Comment`` renamed ``text`` and ``SpamLabel`` written as
``label_kind``, the kind of spam in words (:data:`KINDS`; empty for a genuine review) (``Rating`` and ``Label`` are
matched as ``rating`` and ``label`` by the CSV reader), trained with ``trust reviews train``
on ``train.csv`` and scored with ``trust reviews score``: the figures are what a platform gets from the same commands
on its own labelled reviews. Protocol of the dataset's authors: train on train, tune on dev, report test (binary
macro-F1, accuracy; ROC AUC too). Model choices are made on ``dev``; ``--splits dev`` scores it alone, so the test
split is read only when asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SPLITS = ("train", "dev", "test")
# SpamLabel as the dataset's authors define it: 1 fake review, 2 a review of the brand or shop only, 3 irrelevant.
KINDS = {"0": "", "1": "fake_review", "2": "brand_or_shop_only", "3": "irrelevant"}


def _as_review_csv(source: Path, target: Path) -> None:
    if not source.exists():
        raise FileNotFoundError(f"ViSpam file missing: {source} (expected {', '.join(s + '.csv' for s in SPLITS)} in {source.parent})")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    if "Comment" not in frame.columns:
        raise ValueError(f"{source}: no Comment column (found {', '.join(frame.columns)})")
    frame = frame.rename(columns={"Comment": "text"})
    if "SpamLabel" in frame.columns:
        unknown = ~frame["SpamLabel"].isin(list(KINDS))
        if unknown.any():
            row = int(unknown.to_numpy().argmax())
            raise ValueError(f"{source}: row {row + 2}, column SpamLabel: {frame['SpamLabel'].iloc[row]!r} is not one of 0-3")
        frame = frame.drop(columns="SpamLabel").assign(label_kind=frame["SpamLabel"].map(KINDS))
    frame.to_csv(target, index=False)


def evaluate_vispam(directory: Path, workdir: Path, splits: tuple[str, ...] = ("dev", "test")) -> dict:
    """Train on ``train.csv``, score each of ``splits``: macro-F1 and accuracy at the detector's flag threshold, AUC."""
    import time

    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    from trust.detect.reviews.files import score_csv, train_from_csv
    from trust.detect.reviews.stage import FLAG_AT

    workdir.mkdir(parents=True, exist_ok=True)
    for split in ("train",) + tuple(splits):
        _as_review_csv(directory / f"{split}.csv", workdir / f"{split}.csv")
    started = time.perf_counter()
    trained = train_from_csv(workdir / "train.csv", workdir / "model")
    result: dict = {"dataset": "vispam", "train": trained["rows"], "train_spam": trained["fake"],
                    "train_seconds": round(time.perf_counter() - started, 1), "flag_at": FLAG_AT,
                    "commands": f"trust reviews train --input {workdir / 'train.csv'} --model {workdir / 'model'}; "
                                f"trust reviews score --input {workdir}/SPLIT.csv --model {workdir / 'model'} --output {workdir}/SPLIT_scored.csv"}
    for split in splits:
        scored_path = workdir / f"{split}_scored.csv"
        score_csv(workdir / f"{split}.csv", workdir / "model", scored_path)
        scored = pd.read_csv(scored_path, dtype={"Label": int})
        y, score = scored["Label"].to_numpy(), scored["fake_probability"].to_numpy(dtype=float)
        flagged = (score >= FLAG_AT).astype(int)
        result[split] = {"reviews": int(len(y)), "spam": int(y.sum()),
                         "macro_f1": round(float(f1_score(y, flagged, average="macro")), 4),
                         "accuracy": round(float(accuracy_score(y, flagged)), 4),
                         "auc": round(float(roc_auc_score(y, score)), 4),
                         "flagged": int(flagged.sum()),
                         "flagged_with_wording_reason": int(np.sum(flagged.astype(bool) & scored["reasons"].str.contains("fake_wording", regex=False)))}
    return result
