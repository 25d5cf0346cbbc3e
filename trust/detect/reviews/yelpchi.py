"""The YelpChi benchmark (Yelp's filtered reviews of 201 Chicago hotels and restaurants) through our review signals.

``metadata.txt`` (67,395 reviews: user, product, rating, label, date; no text) is read whole and its signals are
computed label-free; ``caregnn_nodes.csv`` names the 45,954 reviews of the graph benchmark, split 40/60 stratified with
``random_state=2`` as the published papers do. Only train labels reach the model (and its suspicion spread).

The file lists recommended reviews first and filtered ones after, and user ids follow that order: row order and ids
carry the label. Nothing here uses either (ids are only used to group a user's or product's reviews).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SPLIT_SEED = 2
TEST_SHARE = 0.60


def read_yelpchi(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all reviews in canonical columns, benchmark nodes with ``row`` = their review's row in the first frame)."""
    meta_path, nodes_path = directory / "metadata.txt", directory / "caregnn_nodes.csv"
    for path in (meta_path, nodes_path):
        if not path.exists():
            raise FileNotFoundError(f"YelpChi file missing: {path} (expected metadata.txt and caregnn_nodes.csv in {directory})")
    meta = pd.read_csv(meta_path, sep=" ", header=None, names=["user", "prod", "rating", "label", "date"],
                       dtype={"user": str, "prod": str, "rating": float, "label": int, "date": str})
    bad = meta[~meta["label"].isin([-1, 1]) | meta["rating"].isna()]
    if len(bad):
        row = bad.index[0]
        raise ValueError(f"{meta_path}: row {row + 1}: unexpected label {meta.at[row, 'label']!r} or rating {meta.at[row, 'rating']!r}")
    reviews = pd.DataFrame({"review_id": [f"Y{i}" for i in range(len(meta))], "reviewer_id": "U" + meta["user"],
                            "product_id": "P" + meta["prod"], "rating": meta["rating"],
                            "created_at": pd.to_datetime(meta["date"], format="%Y-%m-%d")})
    # Shuffle away the file order (it is sorted by label) before anything sees the rows.
    order = np.random.default_rng(0).permutation(len(reviews))
    reviews = reviews.iloc[order].reset_index(drop=True)
    labels = (meta["label"].to_numpy()[order] == -1).astype(int)
    nodes = pd.read_csv(nodes_path, dtype={"user_id": str, "prod_id": str})
    key = reviews["reviewer_id"] + "|" + reviews["product_id"] + "|" + reviews["created_at"].dt.strftime("%Y-%m-%d") + "|" + reviews["rating"].astype(str)
    node_key = "U" + nodes["user_id"] + "|P" + nodes["prod_id"] + "|" + nodes["date"] + "|" + nodes["rating"].astype(float).astype(str)
    rows = pd.Index(key).get_indexer(node_key)
    if (rows < 0).any():
        missing = int(np.flatnonzero(rows < 0)[0])
        raise ValueError(f"{nodes_path}: row {missing + 1}: no review in metadata.txt matches it")
    nodes = nodes.assign(row=rows)
    if not np.array_equal(labels[rows], nodes["label_spam"].to_numpy()):
        raise ValueError(f"{nodes_path}: label_spam disagrees with metadata.txt's label")
    return reviews, nodes


def evaluate_yelpchi(directory: Path, ceiling: bool = False) -> dict:
    """Train on the published 40% split, score the 60%: ROC AUC and average precision, and what carries them.
    ``ceiling``: also how far these signals can go at all (see :func:`ceiling_analysis`)."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from trust.detect.reviews.model import FakeReviewDetector
    from trust.detect.reviews.signals import review_signals

    reviews, nodes = read_yelpchi(directory)
    signals, _ = review_signals(reviews)
    y = nodes["label_spam"].to_numpy()
    train, test = train_test_split(np.arange(len(nodes)), stratify=y, test_size=TEST_SHARE, random_state=SPLIT_SEED)
    X = signals.iloc[nodes["row"].to_numpy()].reset_index(drop=True)
    model = FakeReviewDetector().fit(X.iloc[train], y[train])
    score = model.predict_proba(X.iloc[test])[:, 1]
    result = {"dataset": "yelpchi", "reviews": int(len(reviews)), "benchmark_nodes": int(len(nodes)),
              "train": int(len(train)), "test": int(len(test)),
              "auc": round(float(roc_auc_score(y[test], score)), 4), "ap": round(float(average_precision_score(y[test], score)), 4)}
    # Where it is won and lost: accounts with one review in the data vs accounts with several.
    single = X.iloc[test]["reviewer_single"].to_numpy() == 1
    for name, mask in (("single_review_accounts", single), ("multi_review_accounts", ~single)):
        result[name] = {"share_of_test": round(float(mask.mean()), 4), "fake_rate": round(float(y[test][mask].mean()), 4),
                        "auc": round(float(roc_auc_score(y[test][mask], score[mask])), 4)}
    # Which signals carry it: the AUC lost when a signal is shuffled on the test part.
    frame = model._model_frame(X.iloc[test], *model._added(X.iloc[test], None))
    importance = permutation_importance(model.model_, frame, y[test], scoring="roc_auc", n_repeats=2, random_state=0)
    ranked = sorted(zip(frame.columns, importance.importances_mean), key=lambda kv: -kv[1])[:8]
    result["auc_lost_without"] = {name: round(float(value), 4) for name, value in ranked}
    if ceiling:
        result["ceiling"] = ceiling_analysis(frame, y[test], score, single)
    return result


def ceiling_analysis(frame: pd.DataFrame, y: np.ndarray, score: np.ndarray, single: np.ndarray) -> dict:
    """An optimistic bound on what these signals can reach. On the test reviews by one-review accounts, gradient-boosted
    trees are fitted *on those very reviews' labels* and scored in-sample (leaky: a model trained on other reviews does
    not do better on average). Combined with our scores of the multi-review accounts, and with perfect scores for them,
    that bounds the overall AUC: if the second is close to the target, no behaviour model gets there."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    bound = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, min_samples_leaf=40, random_state=0)
    in_sample = bound.fit(frame[single], y[single]).predict_proba(frame[single])[:, 1]
    with_bound = score.copy()
    with_bound[single] = in_sample
    perfect_multi = with_bound.copy()
    perfect_multi[~single] = y[~single]
    return {"single_review_accounts_in_sample_auc": round(float(roc_auc_score(y[single], in_sample)), 4),
            "overall_with_in_sample_single_review_scores": round(float(roc_auc_score(y, with_bound)), 4),
            "overall_also_with_perfect_multi_review_scores": round(float(roc_auc_score(y, perfect_multi)), 4)}
