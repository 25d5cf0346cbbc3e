"""`trust eval vispam`: ViSpamReviews through the generic `trust reviews train/score` path, nothing else."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score
from typer.testing import CliRunner

from tests.detect.reviews.test_text import planted
from trust.cli import app
from trust.detect.reviews.vispam import evaluate_vispam

VISPAM = Path(os.environ.get("TRUST_DATASETS_DIR", Path(__file__).resolve().parents[4] / "shared" / "datasets")) / "vispam"
runner = CliRunner()


def vispam_like(folder: Path) -> Path:
    """Split files in ViSpam's columns (Rating, Comment, Label, SpamLabel) with a planted Vietnamese wording."""
    folder.mkdir()
    for split, seed, n in (("train", 1, 300), ("dev", 2, 90), ("test", 3, 120)):
        frame = planted("vi", n, seed)
        kind = frame["label"] * (1 + 2 * (frame.index % 2))  # fakes alternate between kinds 1 and 3
        pd.DataFrame({"Rating": 5, "Comment": frame["text"], "Label": frame["label"], "SpamLabel": kind}
                     ).to_csv(folder / f"{split}.csv", index=False)
    return folder


def test_the_evaluation_is_trust_reviews_train_and_score_with_comment_renamed_text_and_the_kind_of_spam_in_words(tmp_path):
    data = vispam_like(tmp_path / "vispam")
    result = runner.invoke(app, ["eval", "vispam", "--data", str(data), "--workdir", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])

    for split in ("train", "test"):  # by hand, as a user would
        frame = pd.read_csv(data / f"{split}.csv").rename(columns={"Comment": "text"})
        frame["label_kind"] = frame.pop("SpamLabel").map({0: "", 1: "fake_review", 3: "irrelevant"})
        frame.to_csv(tmp_path / f"{split}.csv", index=False)
    trained = runner.invoke(app, ["reviews", "train", "--input", str(tmp_path / "train.csv"), "--model", str(tmp_path / "m")])
    scored = runner.invoke(app, ["reviews", "score", "--input", str(tmp_path / "test.csv"), "--model", str(tmp_path / "m"),
                                 "--output", str(tmp_path / "scored.csv")])
    assert trained.exit_code == 0 and scored.exit_code == 0
    assert json.loads((tmp_path / "m" / "model_card.json").read_text())["metrics"]["kinds_learnt"] == ["fake_review", "irrelevant"]
    by_hand = pd.read_csv(tmp_path / "scored.csv")
    assert figures["test"]["auc"] == round(roc_auc_score(by_hand["Label"], by_hand["fake_probability"]), 4)
    assert figures["test"]["macro_f1"] == round(f1_score(by_hand["Label"], by_hand["fake_probability"] >= 0.5, average="macro"), 4)
    assert figures["test"]["auc"] >= 0.9 and figures["dev"]["reviews"] == 90


def test_choosing_on_dev_never_reads_the_test_split(tmp_path):
    data = vispam_like(tmp_path / "vispam")
    (data / "test.csv").unlink()
    result = evaluate_vispam(data, tmp_path / "eval", splits=("dev",))
    assert "test" not in result and result["dev"]["reviews"] == 90
    with pytest.raises(FileNotFoundError, match=r"ViSpam file missing: .*test\.csv"):
        evaluate_vispam(data, tmp_path / "eval2", splits=("dev", "test"))


@pytest.mark.skipif(not (VISPAM / "train.csv").exists(), reason=f"dataset not at {VISPAM}")
def test_on_real_vietnamese_reviews_the_dev_split_reaches_its_measured_floor(tmp_path):
    """Model choices are made on dev; the test split is scored only by `trust eval vispam` (see the review card)."""
    result = evaluate_vispam(VISPAM, tmp_path, splits=("dev",))
    assert result["dev"]["auc"] >= 0.93 and result["dev"]["macro_f1"] >= 0.835  # measured 0.9407 / 0.8481
    assert result["dev"]["flagged_with_wording_reason"] >= 0.8 * result["dev"]["flagged"]
