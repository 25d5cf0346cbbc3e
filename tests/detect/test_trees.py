"""Compiled trees score a few rows exactly as scikit-learn's predictor does, and step aside for models they do not cover."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from trust.detect.trees import compile_trees


def data(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[rng.random((n, 6)) < 0.15] = np.nan  # missing values learn their own direction
    y = ((np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1], nan=2.0) - np.nan_to_num(X[:, 2]) ** 2 + rng.normal(0, 0.5, n)) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("monotone", [None, [1, 0, -1, 0, 0, 1]])
def test_compiled_trees_agree_with_scikit_learn_on_every_row_including_missing_values_and_ties(monotone):
    X, y = data()
    model = HistGradientBoostingClassifier(max_iter=120, max_leaf_nodes=31, monotonic_cst=monotone, random_state=0).fit(X, y)
    trees = compile_trees(model)
    assert trees is not None
    test, _ = data(seed=1, n=2000)
    test[:50] = np.nan  # rows with nothing known
    test[50:100] = trees.threshold[0, 0]  # values exactly on a split threshold go left, as in scikit-learn
    np.testing.assert_allclose(trees.predict_proba(test), model.predict_proba(test)[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(trees.decision_function(test[:1]), model.decision_function(test[:1]), rtol=0, atol=1e-12)


def test_models_the_compiled_trees_do_not_cover_are_left_to_scikit_learn():
    X, y = data()
    three_classes = HistGradientBoostingClassifier(max_iter=10).fit(X, y + (X[:, 3] > 1))
    assert compile_trees(three_classes) is None
    categorical = np.column_stack([np.nan_to_num(X[:, :2]), (np.arange(len(X)) % 4)])
    with_categories = HistGradientBoostingClassifier(max_iter=10, categorical_features=[2]).fit(categorical, y)
    assert compile_trees(with_categories) is None
    assert compile_trees(object()) is None
