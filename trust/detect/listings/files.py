"""``trust listings train/score/eval``: the listing model on any CSV.

Listings: required ``title`` (and ``label`` to train: 0/1, or ok / counterfeit / false_advertising). Optional:
``listing_id, merchant_id, description, brand, category, price, seller_failed_checks, seller_counterfeit_complaints,
seller_takedowns``. A missing optional
column skips its signals; a bad value is an error naming file, row, column and value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from trust.detect.listings.knowledge import assess_listings
from trust.detect.csv_input import read_checked_csv, reject_first

LISTING_OPTIONAL = ("listing_id", "merchant_id", "description", "brand", "category", "price", "seller_failed_checks",
                    "seller_counterfeit_complaints", "seller_takedowns")
LISTING_LABELS = {"0", "1", "ok", "counterfeit", "false_advertising"}


def read_listing_csv(path: Path, need_label: bool) -> pd.DataFrame:
    frame = read_checked_csv(path, ("title",) + (("label",) if need_label else ()), LISTING_OPTIONAL)
    out = frame[[c for c in frame.columns if c in ("title", "label") + LISTING_OPTIONAL]].copy()
    if need_label:
        out["label"] = out["label"].str.strip().str.lower()
        reject_first(path, out, ~out["label"].isin(LISTING_LABELS), "label", "is not one of " + ", ".join(sorted(LISTING_LABELS)))
    for column in ("price", "seller_failed_checks", "seller_counterfeit_complaints", "seller_takedowns"):
        if column in out:
            value = pd.to_numeric(out[column].replace("", None), errors="coerce")
            reject_first(path, out, out[column].ne("") & (value.isna() | (value < 0)), column, "is not a number of at least 0")
            out[column] = value
    if "price" not in out:
        out["price"] = np.nan
    if "merchant_id" not in out:
        out["merchant_id"] = ""
    if "listing_id" not in out:
        out["listing_id"] = [f"row{i + 2}" for i in range(len(out))]
    return out


def _context(listings: pd.DataFrame, model=None):
    """A file big enough to be a market is its own context; a handful of rows is judged against the model's."""
    from trust.detect.listings.model import ListingContext

    if model is not None and len(listings) < 200 and getattr(model, "context_", None) is not None:
        return model.context_
    return ListingContext.fit(listings)


def train_listings(input_path: Path, model_dir: Path, context_listings: pd.DataFrame | None = None) -> dict:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from trust.detect.listings.model import ListingContext, ListingDetector, listing_signals, save_listing_model

    listings = read_listing_csv(input_path, need_label=True)
    context = ListingContext.fit(context_listings if context_listings is not None else listings)
    signals = listing_signals(listings, context)
    y = listings["label"].to_numpy()
    bad = np.isin(y, ["1", "counterfeit", "false_advertising"])
    metrics: dict = {"rows": int(len(y)), "problem_listings": int(bad.sum())}
    if min(bad.sum(), (~bad).sum()) >= 10:
        train, test = train_test_split(np.arange(len(y)), stratify=bad, test_size=0.25, random_state=0)
        held = ListingDetector().fit(signals.iloc[train], y[train])
        metrics.update(holdout="stratified 25%", auc=round(float(roc_auc_score(bad[test], held.predict_proba(signals.iloc[test])[:, 1])), 4))
    model = ListingDetector().fit(signals, y)
    model.context_ = context
    columns = sorted(c for c in listings.columns if c != "label")
    save_listing_model(model, model_dir, {"purpose": "Probability that a listing is counterfeit or falsely advertised, with reasons.",
                                          "training_data": {"file": str(input_path), "columns": columns, **metrics}, "metrics": metrics})
    return {"model": str(model_dir), "mode": model.mode_, "columns_used": columns, **metrics}


def score_listings_csv(input_path: Path, model_dir: Path, output_path: Path) -> dict:
    from trust.detect.listings.model import ListingDetector, flag_threshold, listing_signals, load_listing_model

    model = load_listing_model(model_dir) if (model_dir / "model.joblib").exists() else ListingDetector().fit(None)
    listings = read_listing_csv(input_path, need_label=False)
    signals = listing_signals(listings, _context(listings, model))
    flag_at = flag_threshold(model)
    kinds, flags, reasons = assess_listings(model, listings, signals, flag_at, only_flagged=False)
    probability = 1 - kinds[:, 0]
    original = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    original["problem_probability"] = np.round(probability, 6)
    original["flag"] = [f or "" for f in flags]
    original["reasons"] = reasons
    output_path.parent.mkdir(parents=True, exist_ok=True)
    original.to_csv(output_path, index=False)
    return {"scored": int(len(original)), "output": str(output_path), "threshold": flag_at, "flagged": int((probability >= flag_at).sum())}


HARD_NEGATIVE_KINDS = ("ok_discount", "ok_second_hand", "ok_authorised", "ok_compatible", "ok_unbranded")


def listing_problem_probability(input_path: Path, model_dir: Path, model=None):
    """A labelled listing file scored as ``trust listings score`` scores it: (model, listings read, P(problem))."""
    from trust.detect.listings.model import ListingDetector, flag_threshold, listing_signals, load_listing_model

    if model is None:
        model = load_listing_model(model_dir) if (model_dir / "model.joblib").exists() else ListingDetector().fit(None)
    listings = read_listing_csv(input_path, need_label=True)
    kinds, _, _ = assess_listings(model, listings, listing_signals(listings, _context(listings, model)), flag_threshold(model))
    return model, listings, 1 - kinds[:, 0]


def is_problem(labels: pd.Series) -> np.ndarray:
    """True for a counterfeit or falsely advertised listing, by the label names the model trains on."""
    from trust.detect.listings.model import _label_codes

    return _label_codes(labels) > 0


def threshold_sweep(bad: np.ndarray, probability: np.ndarray, thresholds=tuple(np.round(np.arange(0.2, 0.91, 0.05), 2))) -> list[dict]:
    """Precision, recall and the share flagged at each threshold."""
    rows = []
    for t in thresholds:
        flagged = probability >= t
        rows.append({"threshold": float(t), "flagged": int(flagged.sum()),
                     "precision": round(float((flagged & bad).sum() / flagged.sum()), 4) if flagged.any() else None,
                     "recall": round(float((flagged & bad).sum() / max(bad.sum(), 1)), 4)})
    return rows


def choose_listing_threshold(development: Path | list[Path], model_dir: Path, min_precision: float = 0.9) -> dict:
    """Choose the listing model's flag threshold on labelled real-style development files (never the held-out set):
    among the thresholds whose precision there is at least ``min_precision``, the one with the best F1 (ties: the
    lowest, which catches the most); kept on the model and in its card with the whole sweep."""
    from trust.detect.artifacts import resave_model

    files = development if isinstance(development, list) else [development]
    model, bad, probability = None, [], []
    for path in files:
        model, listings, scored = listing_problem_probability(path, model_dir, model)
        bad.append(is_problem(listings["label"]))
        probability.append(scored)
    sweep = threshold_sweep(np.concatenate(bad), np.concatenate(probability))
    good = [row for row in sweep if row["precision"] is not None and row["precision"] >= min_precision]
    def f1(row: dict) -> float:
        return 2 * row["precision"] * row["recall"] / max(row["precision"] + row["recall"], 1e-9)

    chosen = min(good, key=lambda row: (-round(f1(row), 6), row["threshold"])) if good else max(sweep, key=lambda row: row["precision"] or 0)
    chosen = {**chosen, "f1": round(f1(chosen), 4) if chosen["precision"] is not None else None}
    model.flag_at_ = chosen["threshold"]
    choice = {"flag_at": chosen["threshold"], "rule": f"best F1 among thresholds with precision >= {min_precision} on the development set (ties: the lowest)",
              "development_sets": [str(path) for path in files], "at_threshold": chosen, "sweep": sweep}
    resave_model(model, model_dir, threshold=choice)
    return choice


def evaluate_listings_file(input_path: Path, model_dir: Path, flag_at: float | None = None) -> dict:
    """A labelled listing file (``label`` ok/counterfeit/false_advertising, optional ``kind`` and ``category``) scored
    the way ``trust listings score`` scores it: AUC of 'problem' against 'ok', precision and recall at ``flag_at``
    (default: the model's own threshold, the one the nightly run uses), and per kind and per category the share
    flagged and the mean probability."""
    from sklearn.metrics import roc_auc_score

    from trust.detect.listings.model import flag_threshold

    model, listings, probability = listing_problem_probability(input_path, model_dir)
    flag_at = flag_threshold(model) if flag_at is None else flag_at
    extra = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    bad = is_problem(listings["label"])
    flagged = probability >= flag_at
    true_positive = int((flagged & bad).sum())
    frame = pd.DataFrame({"probability": probability, "flagged": flagged, "bad": bad,
                          "kind": extra["kind"] if "kind" in extra else listings["label"],
                          "category": extra["category"] if "category" in extra else ""})

    def groups(column: str) -> dict:
        return {str(name): {"n": int(len(part)), "problem": bool(part["bad"].iloc[0]) if part["bad"].nunique() == 1 else None,
                            "flagged_share": round(float(part["flagged"].mean()), 4),
                            "mean_probability": round(float(part["probability"].mean()), 4)}
                for name, part in frame.groupby(column, sort=True)}

    by_category = {str(name): {"n": int(len(part)), "recall": round(float(part.loc[part["bad"], "flagged"].mean()), 4)
                               if part["bad"].any() else None,
                               "false_positive_rate": round(float(part.loc[~part["bad"], "flagged"].mean()), 4)
                               if (~part["bad"]).any() else None}
                   for name, part in frame.groupby("category", sort=True)} if "category" in extra else {}
    return {"file": str(input_path), "model": str(model_dir), "mode": getattr(model, "mode_", "rules"), "rows": int(len(frame)),
            "problem_listings": int(bad.sum()), "threshold": flag_at,
            "auc": round(float(roc_auc_score(bad, probability)), 4) if 0 < bad.sum() < len(bad) else None,
            "precision": round(true_positive / int(flagged.sum()), 4) if flagged.any() else None,
            "recall": round(true_positive / int(bad.sum()), 4) if bad.any() else None,
            "flagged": int(flagged.sum()),
            "hard_negative_false_positive_rate": round(float(frame.loc[frame["kind"].isin(HARD_NEGATIVE_KINDS), "flagged"].mean()), 4)
            if frame["kind"].isin(HARD_NEGATIVE_KINDS).any() else None,
            "by_kind": groups("kind"), "by_category": by_category}


LISTING_TRAINING_COLUMNS = ["listing_id", "merchant_id", "title", "description", "brand", "category", "price", "seller_failed_checks",
                            "seller_counterfeit_complaints", "seller_takedowns", "label", "label_source"]


def listing_labels(settings, complaint_model=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(labelled listings, every listing): analysts' verdicts (moderation_labels) and test-buy results (spot_checks:
    counterfeit -> counterfeit, not_as_described -> false_advertising, pass -> ok; quality defects are not a
    listing-moderation class and are left out; a test buy overturned by an upheld appeal is not a label), the latest
    decision per listing winning (``decided_at``), with the seller's record on its other listings."""
    from sqlalchemy import select

    from trust.db.engine import read_frame, session_scope
    from trust.db.tables import Appeal, Listing, ModerationLabel, SpotCheck
    from trust.detect.listings.model import SELLER_COLUMNS, seller_record
    from trust.detect.listings.stage import seller_events

    with session_scope(settings.db_url) as session:
        labels = read_frame(session, select(ModerationLabel.entity_id.label("listing_id"), ModerationLabel.label, ModerationLabel.decided_at)
                            .where(ModerationLabel.entity_type == "listing"))
        overturned = select(Appeal.subject_id).where(Appeal.subject_type == "spot_check", Appeal.status == "upheld")
        checks = read_frame(session, select(SpotCheck.listing_id, SpotCheck.result, SpotCheck.checked_at.label("decided_at"))
                            .where(SpotCheck.check_id.not_in(overturned)))
        listings = read_frame(session, select(*[c for c in Listing.__table__.columns]))
        events = seller_events(session, dt.date(1970, 1, 1), dt.date(2100, 1, 1), complaint_model)
    checks["label"] = checks.pop("result").map({"counterfeit": "counterfeit", "not_as_described": "false_advertising", "pass": "ok"})
    decided = pd.concat([labels.assign(label_source="analyst"), checks.dropna(subset=["label"]).assign(label_source="test_buy")])
    if decided.empty:
        raise ValueError("no labelled listings in the warehouse yet: analysts' verdicts and test-buy results become labels")
    latest = decided.sort_values("decided_at").drop_duplicates("listing_id", keep="last").set_index("listing_id")
    chosen = listings[listings["listing_id"].isin(latest.index)].copy()
    chosen[SELLER_COLUMNS] = seller_record(chosen, events)
    for column in ("label", "label_source", "decided_at"):
        chosen[column] = chosen["listing_id"].map(latest[column])
    return chosen.reset_index(drop=True), listings


def export_listing_labels(settings, output_path: Path) -> dict:
    """The warehouse's labelled listings (:func:`listing_labels`) as a training CSV for ``trust listings train``."""
    chosen, _ = listing_labels(settings)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    chosen[LISTING_TRAINING_COLUMNS].to_csv(output_path, index=False)
    return {"output": str(output_path), "listings": int(len(chosen)), "labels": chosen["label"].value_counts().to_dict(),
            "sources": chosen["label_source"].value_counts().to_dict()}
