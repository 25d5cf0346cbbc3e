"""The review detector on generated marketplaces: the held-out-seed evaluation, and the training of the model shipped in
``models/reviews`` on a generated marketplace's ground truth (seed 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from trust.synth.generator import SynthConfig, generate_marketplace
from trust.synth.truth import read_landing, top_share_metrics


def labeled_reviews(root: Path) -> pd.DataFrame:
    """A generated marketplace's reviews in the review detector's CSV columns, with ``label`` (1 = planted fake) and
    the planted ``ring``: what ``trust reviews train`` reads."""
    reviews = read_landing(root, "reviews")
    orders = read_landing(root, "orders", ["order_id", "ordered_at"]).drop_duplicates("order_id").set_index("order_id")["ordered_at"]
    truth = pd.read_csv(root / "truth" / "reviews.csv", dtype=str, keep_default_na=False).drop_duplicates("review_id").set_index("review_id")
    frame = pd.DataFrame({
        "review_id": reviews["review_id"], "reviewer_id": reviews["reviewer_id"],
        "product_id": reviews["listing_id"].where(reviews["listing_id"].notna(), reviews["merchant_id"]),
        "merchant_id": reviews["merchant_id"], "rating": reviews["rating"], "created_at": reviews["created_at"],
        "reviewer_registered_at": reviews["reviewer_registered_at"], "text": reviews["text"].fillna(""),
        "has_order": reviews["order_id"].isin(orders.index), "order_created_at": reviews["order_id"].map(orders),
    })
    frame["label"] = frame["review_id"].map(truth["is_fake"]).astype(float).fillna(0).astype(int)
    frame["ring"] = frame["review_id"].map(truth["ring"]).fillna("")
    return frame.drop_duplicates("review_id").reset_index(drop=True)


def evaluate_reviews(workdir: Path, model_dir: Path, merchants: int = 600, days: int = 45, seed: int = 303) -> dict:
    """The review model on a held-out seed, scored on its later days (the last third) with the whole period as context,
    as the nightly job sees it. Precision at the analysts' daily budgets (top 1% and 5% of the test reviews), and farm
    recall: planted rings active in the test period with at least 5 of their reviews inside the top-5% budget (enough
    for an analyst to see the farm)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from trust.detect.reviews.model import FakeReviewDetector, load_model
    from trust.detect.reviews.signals import review_signals

    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir))
    frame = labeled_reviews(workdir)
    signals, _ = review_signals(frame.drop(columns=["label", "ring"]))
    created = pd.to_datetime(frame["created_at"], format="mixed")
    split = SynthConfig().start_date + dt.timedelta(days=days - days // 3)
    test = (created >= pd.Timestamp(split)).to_numpy()
    y = frame["label"].to_numpy()[test]
    result = {"dataset": f"generated marketplace seed {seed}, {merchants} merchants x {days} days", "test_from": split.isoformat(),
              "test_reviews": int(test.sum()), "test_fake": int(y.sum())}
    for name, model in (("model", load_model(model_dir)), ("rules", FakeReviewDetector().fit(signals))):
        score = model.predict_proba(signals.iloc[np.flatnonzero(test)])[:, 1]
        five = top_share_metrics(score, y, 0.05)
        k = five["budget"]
        in_top = np.zeros(len(score), dtype=bool)
        in_top[np.argsort(-score, kind="stable")[:k]] = True
        rings = frame["ring"].to_numpy()[test]
        planted = sorted({r for r in rings if r})
        found = [r for r in planted if in_top[rings == r].sum() >= 5]
        result[name] = {"auc": round(float(roc_auc_score(y, score)), 4), "ap": round(float(average_precision_score(y, score)), 4),
                        "top_1pct": top_share_metrics(score, y, 0.01), "top_5pct": five,
                        "farms_planted": len(planted), "farms_found": len(found),
                        "farm_recall": round(len(found) / len(planted), 4) if planted else None}
    return result


# What the review detector reaches on real data (each evaluation trains its own model on the dataset's training part
# through the same code); written into the shipped model's card by `trust reviews train-synth`.
REVIEW_REAL_DATA = {
    "yelpchi": {"command": "trust eval yelpchi", "signals": "behaviour only (no text in the data)", "auc": 0.8447,
                "ap": 0.4935},
    "vispam": {"command": "trust eval vispam", "data": "ViSpamReviews v1, real Vietnamese e-commerce reviews, 14,306 train",
               "kinds": "SpamLabel as label_kind (fake_review 195, brand_or_shop_only 1,087, irrelevant 2,439 in train): "
                        "the text model learns each kind's wording apart, one signal per kind in the trees",
               "dev": {"macro_f1": 0.8481, "accuracy": 0.8836, "auc": 0.9407},
               "test": {"macro_f1": 0.8753, "accuracy": 0.9029, "auc": 0.9502},
               "test_split_scored": "twice: 2026-12-02 without kinds (macro-F1 0.8607, accuracy 0.8926, AUC 0.9447), "
                                    "2026-12-05 with kinds (the figures above); both after every choice was made on "
                                    "dev or on 5-fold cross-validation of train + dev",
               "cross_validation": {"folds": "5, stratified, train + dev (15,896 reviews)",
                                    "without_kinds": {"macro_f1": 0.8593, "auc": 0.9393},
                                    "with_kinds": {"macro_f1": 0.8699, "auc": 0.9456},
                                    "also_tried": "a nearest-neighbour share of the 20 most similar training texts "
                                                  "(TF-IDF or 128-d SVD): no gain over kinds (0.8693, 0.8701); one "
                                                  "signal for all kinds (max 0.8663, noisy-or 0.8662): less"},
               "published_on_test": {"tfidf_linear_svm_macro_f1": 0.846, "phobert_macro_f1": 0.856, "visobert_macro_f1": 0.892}},
}


REVIEW_LIMITATIONS = (
    "Trained on generated data, whose planted farms and templated wording are easier than real ones (held-out AUC near "
    "1.0): the text model learns the generator's wording, so on a real platform retrain it on the analysts' verdicts "
    "(`trust reviews train`). On real labelled text the same code reaches macro-F1 0.875 / AUC 0.950 on ViSpam's test "
    "split when trained with the kinds of spam as label_kind (0.861 / 0.945 without), between fine-tuned PhoBERT (0.856) "
    "and ViSoBERT (0.892; no pretrained weights can be fetched here); reviews that praise only the shop or the delivery "
    "are the usual miss. On YelpChi behaviour alone the features reach AUC "
    "0.845. Chinese text mixed with other non-ASCII scripts is segmented run by run.")


def train_shipped_review_model(workdir: Path, model_dir: Path, merchants: int = 600, days: int = 45, seed: int = 7) -> dict:
    """Train the model shipped in ``models/reviews`` on a generated marketplace's ground truth (seed 7; evaluation
    uses other seeds) through the same CSV path users have."""
    from trust.detect.reviews.files import train_from_csv

    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir))
    path = workdir / "labeled_reviews.csv"
    labeled_reviews(workdir).drop(columns=["ring"]).to_csv(path, index=False)
    return train_from_csv(path, model_dir)
