"""The complaint classifier on real buyers' words: hand-labelled negative reviews of online_shopping_10_cats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trust.settings import SHIPPED_DATA


REAL_COMPLAINT_LABELS = SHIPPED_DATA / "eval" / "online_shopping_complaints.tsv"


REAL_COMPLAINT_TRAINING = SHIPPED_DATA / "train" / "online_shopping_complaints.tsv"


def _reviews_csv(data: Path) -> Path:
    path = data if data.suffix == ".csv" else data / "online_shopping_10_cats.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass --data with the online_shopping_10_cats folder or CSV")
    return path


def real_review_corpus(data: Path, held_out: Path = REAL_COMPLAINT_LABELS) -> list[str]:
    """Every review text of online_shopping_10_cats except the rows labelled for evaluation (unlabelled text for word
    vectors: the evaluation reviews must not shape the features they are scored with)."""
    reviews = pd.read_csv(_reviews_csv(data), dtype=str, keep_default_na=False)
    rows = set(pd.read_csv(held_out, sep="\t", comment="#")["row"])
    return [t for i, t in enumerate(reviews["review"]) if i not in rows and t.strip()]


def read_real_complaints(data: Path, labels: Path = REAL_COMPLAINT_LABELS) -> pd.DataFrame:
    """The labelled rows of the real online_shopping_10_cats reviews (``data``: the CSV or its folder) with their text;
    the labels file holds row numbers and a hash of each text, never the text. A row whose text does not hash as
    labelled (another version of the file) is an error naming the file, row and hashes."""
    import hashlib

    path = _reviews_csv(data)
    reviews = pd.read_csv(path, dtype=str, keep_default_na=False)
    labelled = pd.read_csv(labels, sep="\t", comment="#", dtype={"row": int, "product": str, "text_sha1": str, "category": str})
    texts = []
    for row, expected in zip(labelled["row"], labelled["text_sha1"]):
        text = reviews.at[row, "review"] if row < len(reviews) else None
        found = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12] if text is not None else "no such row"
        if found != expected:
            raise ValueError(f"{path}: data row {row} does not match {labels.name} (text_sha1 {expected}, found {found}): "
                             "a different version of the file")
        texts.append(text)
    return labelled.assign(text=texts)


def evaluate_real_complaints(data: Path, models_dir: Path, labels: Path = REAL_COMPLAINT_LABELS) -> dict:
    """The complaint classifier on real buyers' words: negative reviews from online_shopping_10_cats, hand-labelled
    with the complaint each would file (``none`` rows, opinions and rants, are counted but not scored). Accuracy,
    macro-F1 over the categories present, per-category precision/recall, and what each category was taken for."""
    from sklearn.metrics import classification_report, f1_score

    from trust.detect.complaints.model import ComplaintClassifier, load_complaint_model

    frame = read_real_complaints(data, labels)
    complaints = frame[frame["category"] != "none"]
    present = sorted(set(complaints["category"]))
    result: dict = {"dataset": "online_shopping_10_cats negative reviews, hand-labelled sample", "labelled": len(frame),
                    "complaints": len(complaints), "not_complaints": int((frame["category"] == "none").sum()),
                    "support": complaints["category"].value_counts().to_dict()}
    for name, model in (("complaint_model", load_complaint_model(models_dir / "complaints")), ("complaint_keywords", ComplaintClassifier().fit([]))):
        predicted = model.predict(complaints["text"].tolist())
        truth = complaints["category"].to_numpy()
        report = classification_report(truth, predicted, labels=present, output_dict=True, zero_division=0)
        result[name] = {
            "accuracy": round(float(np.mean(predicted == truth)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4),
            "per_category": {c: {"precision": round(report[c]["precision"], 4), "recall": round(report[c]["recall"], 4)} for c in present},
            "taken_for": {c: pd.Series(predicted[truth == c]).value_counts().to_dict() for c in present},
        }
    return result
