"""``trust reviews train`` / ``trust reviews score``: the review detector on any CSV of reviews.

Required: ``text`` (and ``label``, 1 = fake, 0 = genuine, to train; an empty label marks a row that is context only:
its behaviour shapes the signals of the labelled rows, it is not trained on). Optional, each enabling its signals:
``review_id, reviewer_id, product_id, merchant_id, rating, created_at, reviewer_registered_at, has_order,
order_created_at``. Column names are matched without regard to case. A missing optional column skips its signals; a
bad value is an error naming file, row, column and value. ``trust reviews export-labels`` writes the warehouse's
reviews in this form with the analysts' verdicts as labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trust.detect.csv_input import InputFileError, read_checked_csv, reject_first

REQUIRED = ("text",)
OPTIONAL = ("review_id", "reviewer_id", "product_id", "merchant_id", "rating", "created_at", "reviewer_registered_at",
            "has_order", "order_created_at", "label_kind")


def read_review_csv(path: Path, need_label: bool) -> pd.DataFrame:
    frame = read_checked_csv(path, REQUIRED + (("label",) if need_label else ()), OPTIONAL)
    out = frame[[c for c in frame.columns if c in REQUIRED + OPTIONAL + ("label",)]].copy()
    if need_label:
        reject_first(path, out, ~out["label"].str.strip().isin(["0", "1", ""]), "label", "is not 0, 1 or empty (context only)")
        out["label"] = pd.to_numeric(out["label"].str.strip().replace("", None)).astype(float)
        if out["label"].isna().all():
            raise InputFileError(f"{path}: no labelled rows (label 1 = fake, 0 = genuine; empty = context only)")
        if "label_kind" in out:
            out["label_kind"] = out["label_kind"].str.strip()
            reject_first(path, out, out["label_kind"].ne("") & out["label"].ne(1.0), "label_kind",
                         "is a kind of fake on a row whose label is not 1 (fake)")
    else:
        out = out.drop(columns="label_kind", errors="ignore")
    if "rating" in out:
        rating = pd.to_numeric(out["rating"].replace("", None), errors="coerce")
        reject_first(path, out, out["rating"].ne("") & (rating.isna() | (rating < 0) | (rating > 5)), "rating", "is not a number from 0 to 5")
        out["rating"] = rating
    for column in ("created_at", "reviewer_registered_at", "order_created_at"):
        if column in out:
            parsed = pd.to_datetime(out[column].replace("", None), errors="coerce", format="mixed")
            reject_first(path, out, out[column].ne("") & parsed.isna(), column, "is not a date or time")
            out[column] = parsed
    if "has_order" in out:
        truth = out["has_order"].str.strip().str.lower().map({"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": None})
        reject_first(path, out, truth.isna() & out["has_order"].str.strip().ne(""), "has_order", "is not true/false")
        out["has_order"] = truth
    for column in ("reviewer_id", "product_id", "merchant_id", "review_id"):
        if column in out and out[column].eq("").all():
            out = out.drop(columns=column)  # an empty column is a missing one
    if "review_id" not in out:
        out["review_id"] = [f"row{i + 2}" for i in range(len(out))]
    return out


def train_from_csv(input_path: Path, model_dir: Path) -> dict:
    """Fit on the file (measuring on a stratified quarter held out first), save model and card; return the card's metrics."""
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from trust.detect.reviews.model import FakeReviewDetector, save_model
    from trust.detect.reviews.signals import review_signals

    reviews = read_review_csv(input_path, need_label=True)
    labelled = reviews["label"].notna().to_numpy()
    kinds = reviews["label_kind"].to_numpy(dtype=object)[labelled] if "label_kind" in reviews else None
    reviews = reviews.drop(columns="label_kind", errors="ignore")
    all_signals, _ = review_signals(reviews.drop(columns="label"))  # context rows shape the labelled rows' signals
    signals = all_signals[labelled]
    y = reviews["label"].to_numpy()[labelled].astype(int)
    metrics: dict = {"rows": int(len(y)), "fake": int(y.sum()), "context_rows": int((~labelled).sum())}
    if min(y.sum(), len(y) - y.sum()) >= 10:
        train, test = train_test_split(np.arange(len(y)), stratify=y, test_size=0.25, random_state=0)
        held = FakeReviewDetector().fit(signals.iloc[train], y[train], None if kinds is None else kinds[train])
        score = held.predict_proba(signals.iloc[test])[:, 1]
        metrics.update(holdout="stratified 25%", auc=round(float(roc_auc_score(y[test], score)), 4),
                       ap=round(float(average_precision_score(y[test], score)), 4))
    model = FakeReviewDetector().fit(signals, y, kinds)
    if kinds is not None:
        given = pd.Series(kinds).replace("", None).dropna().value_counts()
        metrics["kinds"] = {str(k): int(n) for k, n in given.items()}
        metrics["kinds_learnt"] = list(getattr(getattr(model, "text_model_", None), "kinds_", []))
    columns = sorted(c for c in reviews.columns if c != "label") + (["label_kind"] if kinds is not None else [])
    save_model(model, model_dir, {"purpose": "Probability that a review is fake (bought or templated), with reasons.",
                                  "training_data": {"file": str(input_path), "columns": columns,
                                                    **{k: metrics[k] for k in ("rows", "fake", "context_rows")}},
                                  "metrics": metrics})
    return {"model": str(model_dir), "mode": model.mode_, "columns_used": columns, **metrics}


def score_csv(input_path: Path, model_dir: Path, output_path: Path) -> dict:
    """Add ``fake_probability`` and ``reasons`` to every row of the file."""
    from trust.detect.reviews.model import load_model
    from trust.detect.reviews.signals import review_signals

    model = load_model(model_dir)
    reviews = read_review_csv(input_path, need_label=False)
    signals, _ = review_signals(reviews.drop(columns="label", errors="ignore"))
    signals = model.with_text_signals(signals)  # each text read once, for the score and the reasons
    probability = model.predict_proba(signals)[:, 1]
    original = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    original["fake_probability"] = np.round(probability, 6)
    original["reasons"] = model.reasons(signals)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    original.to_csv(output_path, index=False)
    return {"scored": int(len(original)), "output": str(output_path), "flagged_at_0.5": int((probability >= 0.5).sum())}


def export_review_labels(settings, output_path: Path) -> dict:
    """The warehouse's reviews as a training CSV for ``trust reviews train``: every review in the detector's columns,
    ``label`` from the analysts' latest verdict (fake_review -> 1, genuine -> 0) and empty where there is none (those
    rows are context: their accounts', products' and shops' behaviour shapes the labelled rows' signals)."""
    import datetime as dt

    from trust.db.engine import session_scope
    from trust.detect.reviews.stage import analyst_verdicts, load_reviews

    with session_scope(settings.db_url) as session:
        reviews = load_reviews(session, dt.date(1970, 1, 1), dt.date(2100, 1, 1))
        verdicts = analyst_verdicts(session, reviews["review_id"])
    if verdicts.notna().sum() == 0:
        raise ValueError("no analysts' verdicts on reviews in the warehouse yet (moderation_labels with entity_type "
                         "review: fake_review or genuine); they become the training labels")
    columns = ["review_id", "reviewer_id", "product_id", "merchant_id", "rating", "created_at", "reviewer_registered_at",
               "has_order", "order_created_at", "text"]
    out = reviews[columns].assign(label=verdicts.map({1.0: "1", 0.0: "0"}).fillna(""))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(output_path, index=False)
    return {"output": str(output_path), "reviews": int(len(out)), "labelled": int(verdicts.notna().sum()),
            "fake": int((verdicts == 1).sum()), "genuine": int((verdicts == 0).sum())}
