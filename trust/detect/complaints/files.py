"""``trust complaints train/score/eval``: the complaint classifier on any CSV: required ``text`` (and ``label``, one of
the complaint categories, to train); optional ``complaint_id, merchant_id, order_id, listing_id``. A bad value is an
error naming file, row, column and value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trust.detect import COMPLAINT_CATEGORIES
from trust.detect.csv_input import read_checked_csv, reject_first


def read_complaint_csv(path: Path, need_label: bool) -> pd.DataFrame:
    frame = read_checked_csv(path, ("text",) + (("label",) if need_label else ()), ("complaint_id", "merchant_id", "order_id", "listing_id"))
    if need_label:
        frame["label"] = frame["label"].str.strip()
        reject_first(path, frame, ~frame["label"].isin(COMPLAINT_CATEGORIES), "label", "is not one of " + ", ".join(COMPLAINT_CATEGORIES))
    return frame


AUGMENT_COPIES = 3  # neighbour-swapped copies of each labelled complaint when word vectors are given


def complaint_word_vectors(corpus: list[str]):
    """Word vectors from unlabelled complaint or review texts (normalised and segmented as the classifier does)."""
    from trust.detect.complaints.model import normalised, words
    from trust.word_vectors import WordVectors

    return WordVectors().fit(words(t) for t in normalised(corpus))


def read_corpus(path: Path, column: str = "text") -> list[str]:
    """The texts of one column of a CSV of unlabelled text (a clear error naming the file when it is missing)."""
    frame = read_checked_csv(path, (column,), ())
    return [t for t in frame[column].tolist() if t.strip()]


def train_complaints(input_path: Path, model_dir: Path, corpus: list[str] | None = None, corpus_source: str | None = None) -> dict:
    """Train and save the complaint classifier on a labelled CSV. With ``corpus`` (unlabelled texts: past complaints,
    reviews) it also learns word vectors from them and trains on neighbour-swapped copies of each complaint."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    from trust.detect.complaints.model import ComplaintClassifier, save_complaint_model

    frame = read_complaint_csv(input_path, need_label=True)
    texts, y = frame["text"].tolist(), frame["label"].to_numpy()
    metrics: dict = {"rows": len(y), "per_category": pd.Series(y).value_counts().to_dict()}
    settings: dict = {}
    if corpus:
        settings = {"word_vectors": complaint_word_vectors(corpus), "augment": AUGMENT_COPIES}
        metrics["word_vectors"] = {"source": corpus_source or "unlabelled texts", **settings["word_vectors"].describe()}
    counts = pd.Series(y).value_counts()
    if len(counts) >= 2 and counts.min() >= 4:
        train, test = train_test_split(np.arange(len(y)), stratify=y, test_size=0.25, random_state=0)
        held = ComplaintClassifier(**settings).fit([texts[i] for i in train], y[train])
        metrics.update(holdout="stratified 25%", macro_f1=round(float(f1_score(y[test], held.predict([texts[i] for i in test]), average="macro")), 4))
    model = ComplaintClassifier(**settings).fit(texts, y)
    save_complaint_model(model, model_dir, {"purpose": "Category and severity of an after-sales complaint.",
                                            "training_data": {"file": str(input_path), **metrics}, "metrics": metrics})
    return {"model": str(model_dir), "mode": model.mode_, **metrics}


def score_complaints_csv(input_path: Path, model_dir: Path, output_path: Path) -> dict:
    from trust.detect.complaints.model import ComplaintClassifier, load_complaint_model

    model = load_complaint_model(model_dir) if (model_dir / "model.joblib").exists() else ComplaintClassifier().fit([])
    frame = read_complaint_csv(input_path, need_label=False)
    category, severity, reasons = model.explain(frame["text"].tolist())
    original = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    original["category"], original["severity"], original["reasons"] = category, severity.astype(int), reasons
    output_path.parent.mkdir(parents=True, exist_ok=True)
    original.to_csv(output_path, index=False)
    return {"scored": int(len(original)), "output": str(output_path), "categories": pd.Series(category).value_counts().to_dict()}


def evaluate_complaints_file(input_path: Path, model_dir: Path) -> dict:
    """A labelled complaint file classified as ``trust complaints score`` classifies it: accuracy, macro-F1 and, per
    category, precision, recall and F1, with the categories each one was taken for."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    from trust.detect.complaints.model import ComplaintClassifier, load_complaint_model

    model = load_complaint_model(model_dir) if (model_dir / "model.joblib").exists() else ComplaintClassifier().fit([])
    frame = read_complaint_csv(input_path, need_label=True)
    truth = frame["label"].to_numpy()
    predicted = np.asarray(model.explain(frame["text"].tolist())[0])
    labels = [c for c in COMPLAINT_CATEGORIES if c in set(truth)]
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    confused = pd.crosstab(pd.Series(truth, name="truth"), pd.Series(predicted, name="predicted"))
    per_category = {label: {"n": int(n), "precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                            "taken_for": {str(k): int(v) for k, v in confused.loc[label].items() if v and k != label}}
                    for label, p, r, f, n in zip(labels, precision, recall, f1, support)}
    return {"file": str(input_path), "model": str(model_dir), "rows": int(len(truth)),
            "accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4),
            "per_category": per_category}
