"""A fitted binary HistGradientBoostingClassifier's trees as padded arrays, for scoring a handful of rows fast.

scikit-learn's predictor is built for batches: for one row, its input validation and a call per tree (300 of them)
cost about 3 ms. Here every tree is one row of padded node arrays and all trees descend together, one numpy step per
tree level, so a single listing costs a fraction of a millisecond. The decision rule is scikit-learn's own: a missing
value goes the way the node learned for missing values, otherwise ``x <= threshold`` goes left; a leaf points to
itself, so rows that reach a leaf early simply stay. Large batches still go through scikit-learn (multi-threaded,
no (rows × trees) index arrays). :func:`compile_trees` returns None for models it does not cover (categorical
splits, more than one tree per iteration) and the caller then uses scikit-learn; a test checks both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

SMALL_BATCH = 64  # rows up to which the compiled trees are used


@dataclass(frozen=True)
class CompiledTrees:
    feature: np.ndarray  # (trees, nodes) split feature
    threshold: np.ndarray  # (trees, nodes) go left when x <= threshold
    missing_left: np.ndarray  # (trees, nodes) where a missing value goes
    left: np.ndarray  # (trees, nodes) child index; a leaf points to itself
    right: np.ndarray
    value: np.ndarray  # (trees, nodes) leaf value (raw score)
    depth: int
    baseline: float

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) of the rows of ``X`` (features in the model's order)."""
        X = np.asarray(X, dtype=float)
        trees = np.arange(len(self.feature))[None, :]
        rows = np.arange(len(X))[:, None]
        node = np.zeros((len(X), len(self.feature)), dtype=np.intp)
        for _ in range(self.depth):
            x = X[rows, self.feature[trees, node]]
            with np.errstate(invalid="ignore"):
                go_left = np.where(np.isnan(x), self.missing_left[trees, node], x <= self.threshold[trees, node])
            node = np.where(go_left, self.left[trees, node], self.right[trees, node])
        return self.baseline + self.value[trees, node].sum(axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(class 1) per row."""
        return expit(self.decision_function(X))


def compile_trees(model) -> CompiledTrees | None:
    """The trees of a fitted binary ``HistGradientBoostingClassifier``, or None when it is not one this covers."""
    predictors = getattr(model, "_predictors", None)
    baseline = np.ravel(getattr(model, "_baseline_prediction", np.zeros(0)))
    if not predictors or len(baseline) != 1 or any(len(iteration) != 1 for iteration in predictors):
        return None
    nodes = [iteration[0].nodes for iteration in predictors]
    if any(n["is_categorical"].any() for n in nodes):
        return None
    shape = (len(nodes), max(len(n) for n in nodes))
    arrays = {name: np.zeros(shape, dtype=dtype) for name, dtype in
              (("feature", np.intp), ("threshold", float), ("missing_left", bool), ("left", np.intp), ("right", np.intp), ("value", float))}
    for t, n in enumerate(nodes):
        k, leaf, here = len(n), n["is_leaf"].astype(bool), np.arange(len(n))
        arrays["feature"][t, :k] = n["feature_idx"]
        arrays["threshold"][t, :k] = n["num_threshold"]
        arrays["missing_left"][t, :k] = n["missing_go_to_left"].astype(bool)
        arrays["left"][t, :k] = np.where(leaf, here, n["left"])
        arrays["right"][t, :k] = np.where(leaf, here, n["right"])
        arrays["value"][t, :k] = np.where(leaf, n["value"], 0.0)
    depth = max(int(n["depth"].max()) for n in nodes)
    return CompiledTrees(**arrays, depth=depth, baseline=float(baseline[0]))
