"""The complaint classifier on real reviews: the labels in data/eval name rows of the shared dataset, never its text."""

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from trust.detect import COMPLAINT_CATEGORIES
from trust.detect.complaints.evaluation import (REAL_COMPLAINT_LABELS, REAL_COMPLAINT_TRAINING, evaluate_real_complaints,
                                               read_real_complaints, real_review_corpus)

SHOPPING = Path(os.environ.get("TRUST_DATASETS_DIR", Path(__file__).resolve().parents[2] / "shared" / "datasets")) / "online_shopping_10_cats"
needs_data = pytest.mark.skipif(not (SHOPPING / "online_shopping_10_cats.csv").exists(), reason=f"dataset not at {SHOPPING}")
MODELS = Path(__file__).resolve().parents[1] / "models"


def test_the_labels_hold_row_numbers_and_hashes_and_known_categories_only():
    labels = pd.read_csv(REAL_COMPLAINT_LABELS, sep="\t", comment="#")
    assert list(labels.columns) == ["row", "product", "text_sha1", "category"]  # no text column
    assert labels["row"].is_unique and len(labels) == 200
    assert set(labels["category"]) <= set(COMPLAINT_CATEGORIES) | {"none"}
    assert labels["text_sha1"].str.fullmatch(r"[0-9a-f]{12}").all()


def test_the_training_labels_are_other_rows_of_the_same_file_in_the_same_form():
    train = pd.read_csv(REAL_COMPLAINT_TRAINING, sep="\t", comment="#")
    test = pd.read_csv(REAL_COMPLAINT_LABELS, sep="\t", comment="#")
    assert list(train.columns) == list(test.columns) and train["row"].is_unique and len(train) == 400
    assert not set(train["row"]) & set(test["row"])  # the evaluation reviews are never trained on
    assert set(train["category"]) <= set(COMPLAINT_CATEGORIES) | {"none"}
    assert train["text_sha1"].str.fullmatch(r"[0-9a-f]{12}").all()


def test_the_unlabelled_corpus_is_every_review_but_the_evaluation_rows(tmp_path):
    reviews = pd.DataFrame({"cat": "衣服", "label": 0, "review": [f"评论{i}" for i in range(6)] + [" "]})
    reviews.to_csv(tmp_path / "online_shopping_10_cats.csv", index=False)
    held = tmp_path / "held.tsv"
    held.write_text("# two rows held out\nrow\tproduct\ttext_sha1\tcategory\n1\t衣服\t0\tnone\n4\t衣服\t0\tnone\n", encoding="utf-8")
    assert real_review_corpus(tmp_path, held) == ["评论0", "评论2", "评论3", "评论5"]


def test_a_different_file_is_refused_naming_the_row(tmp_path):
    rows = pd.read_csv(REAL_COMPLAINT_LABELS, sep="\t", comment="#")["row"]
    fake = pd.DataFrame({"cat": "衣服", "label": 0, "review": ["质量差"] * (int(rows.max()) + 1)})
    fake.to_csv(tmp_path / "online_shopping_10_cats.csv", index=False)
    found = hashlib.sha1("质量差".encode()).hexdigest()[:12]
    with pytest.raises(ValueError, match=rf"data row {rows.min()} does not match online_shopping_complaints.tsv .*found {found}"):
        read_real_complaints(tmp_path)
    with pytest.raises(FileNotFoundError, match="online_shopping_10_cats.csv not found"):
        read_real_complaints(tmp_path / "elsewhere")


@needs_data
def test_on_real_complaints_the_model_beats_keywords_and_reads_counterfeits_and_defects():
    result = evaluate_real_complaints(SHOPPING, MODELS)
    assert result["complaints"] == 105 and result["not_complaints"] == 95
    model, keywords = result["complaint_model"], result["complaint_keywords"]
    # measured: accuracy 0.75 (keywords 0.41), macro-F1 0.59; counterfeit and quality defect recall 0.82 / 0.95
    # (before word vectors and the labelled training reviews: 0.60, 0.52, 0.82 / 0.75)
    assert model["accuracy"] >= 0.7 > 0.5 > keywords["accuracy"]
    assert model["per_category"]["counterfeit"]["recall"] >= 0.7 and model["per_category"]["quality_defect"]["recall"] >= 0.7
