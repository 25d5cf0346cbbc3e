"""The promotion rule and the policy file it reads: better on the newer labels by the margin, worse on no regression
set beyond the tolerance, no verdict on too few newer labels; a bad policy file names the file and the key."""

from __future__ import annotations

import numpy as np
import pytest

from trust.lifecycle.policy import POLICY_FILE, load_policy
from trust.lifecycle.retrain import decide, recall_at_precision

POLICY = load_policy()


def _holdout(champion: float, challenger: float) -> dict:
    return {"champion": {"auc": champion}, "challenger": {"auc": challenger}}


def test_the_shipped_policy_reads_and_names_its_regression_sets():
    assert POLICY.margin == 0.01 and POLICY.tolerance == 0.02 and POLICY.holdout_days == 7
    assert [p.name for p in POLICY.regression["listings"]["files"]] == ["listings_dev.csv", "listings_dev2.csv"]
    assert POLICY.regression["reviews"]["generated"]["seed"] == 303
    assert POLICY.seed["complaints"]["grammar_per_category"] == 100
    assert not POLICY.drift.hold_grades


def test_a_challenger_better_by_the_margin_and_no_worse_elsewhere_is_promoted():
    promote, reasons = decide("auc", _holdout(0.90, 0.93), {"dev": _holdout(0.95, 0.94)}, POLICY, True, "")
    assert promote and reasons[0].startswith("holdout auc 0.9300 vs champion 0.9000: better by +0.0300")
    assert "within tolerance" in reasons[1]


@pytest.mark.parametrize("holdout,regression,why", [
    (_holdout(0.90, 0.905), {}, "not better by the margin 0.01"),
    (_holdout(0.90, 0.95), {"dev": _holdout(0.95, 0.92)}, "regression set dev: auc 0.9200 vs champion 0.9500, worse by more than the tolerance"),
])
def test_a_challenger_is_refused_when_it_gains_too_little_or_loses_a_regression_set(holdout, regression, why):
    promote, reasons = decide("auc", holdout, regression, POLICY, True, "")
    assert not promote and any(why in reason for reason in reasons)


def test_too_few_newer_labels_is_no_verdict():
    promote, reasons = decide("auc", _holdout(0.5, 0.99), {}, POLICY, False, "only 3 labels decided in the last 7 days")
    assert not promote and reasons == ["only 3 labels decided in the last 7 days"]


def test_recall_at_precision_is_the_most_caught_at_that_precision_or_better():
    y, score = np.array([1, 1, 1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.65, 0.6, 0.1])
    assert recall_at_precision(y, score, 0.9) == 0.75  # the top three: all bad; the fourth bad one costs precision 0.8
    assert recall_at_precision(y, score, 0.8) == 1.0


@pytest.mark.parametrize("text,message", [
    ("[promotion]\nmargin = -1\n", "[promotion] margin = -1 must be a number of at least 0"),
    ("[regression.fraud]\nfiles = []\n", "[regression.fraud] names no detector with a model"),
    ("[regression.listings]\nfiles = [\"data/eval/nope.csv\"]\n", "does not exist"),
    ("[drift]\nhold_grades = \"yes\"\n", "[drift] hold_grades = 'yes' must be true or false"),
    ("[seed.reviews]\nfiles = []\n", "[seed.reviews] is not known"),
    ("[promotion\n", "cannot read the model policy"),
])
def test_a_bad_policy_file_is_refused_naming_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_policy(path)
    assert str(path) in str(error.value) and message in str(error.value)
    assert POLICY_FILE.exists()
