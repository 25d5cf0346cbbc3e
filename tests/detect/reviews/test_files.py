"""`trust reviews train/score` on any CSV: text and label required, every other column optional."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from trust.cli import app
from trust.detect.csv_input import InputFileError
from trust.detect.reviews.files import export_review_labels, read_review_csv, train_from_csv

runner = CliRunner()


def write(path, frame):
    frame.to_csv(path, index=False)
    return path


def text_only(n=200):
    fake = ["好评返现5元加微信12345678，五星好评！", "非常满意，强烈推荐，五星好评，下次还来！"]
    real = ["尺码偏大半码，换了一次货", "电池能撑一天，充电有点慢", "包装简陋但是东西没问题", "颜色比图片暗一点"]
    rows = [(fake[i % 2] + str(i), 1) if i % 3 == 0 else (real[i % 4] + f"，第{i}单", 0) for i in range(n)]
    return pd.DataFrame(rows, columns=["text", "label"])


def test_a_file_without_text_is_rejected_with_a_clear_message(tmp_path):
    path = write(tmp_path / "bad.csv", pd.DataFrame({"comment": ["x"], "label": [1]}))
    with pytest.raises(InputFileError, match=r"bad\.csv: missing required column\(s\) text; found comment, label"):
        read_review_csv(path, need_label=True)
    result = runner.invoke(app, ["reviews", "train", "--input", str(path), "--model", str(tmp_path / "m")])
    assert result.exit_code != 0 and "missing required column(s) text" in str(result.exception)


def test_a_bad_value_names_the_row_column_and_value(tmp_path):
    path = write(tmp_path / "bad.csv", pd.DataFrame({"text": ["a", "b"], "label": ["1", "maybe"]}))
    with pytest.raises(InputFileError, match=r"row 3, column label: 'maybe' is not 0, 1 or empty \(context only\)"):
        read_review_csv(path, need_label=True)
    path = write(tmp_path / "bad2.csv", pd.DataFrame({"text": ["a", "b"], "rating": ["5", "六"]}))
    with pytest.raises(InputFileError, match=r"row 3, column rating: '六' is not a number"):
        read_review_csv(path, need_label=False)


def test_a_kind_of_fake_on_a_row_not_labelled_fake_names_the_row_column_and_value(tmp_path):
    path = write(tmp_path / "bad.csv", pd.DataFrame({"text": ["a", "b", "c"], "label": ["1", "0", ""],
                                                     "label_kind": ["cash back", "cash back", ""]}))
    with pytest.raises(InputFileError, match=r"row 3, column label_kind: 'cash back' is a kind of fake on a row whose label is not 1"):
        read_review_csv(path, need_label=True)
    assert "label_kind" not in read_review_csv(path, need_label=False)  # scoring ignores it


def test_train_and_score_with_text_and_label_only_skip_the_other_signals(tmp_path):
    labeled = write(tmp_path / "labeled.csv", text_only())
    result = runner.invoke(app, ["reviews", "train", "--input", str(labeled), "--model", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    trained = json.loads(result.output)
    assert trained["mode"] == "trained" and trained["columns_used"] == ["review_id", "text"] and trained["auc"] >= 0.9
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert card["library_versions"]["scikit-learn"] and (tmp_path / "model" / "MODEL_CARD.md").exists()
    unlabeled = write(tmp_path / "new.csv", pd.DataFrame({"text": ["加微信87654321领返现，五星好评！", "尺码偏大，换货很顺利"]}))
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["reviews", "score", "--input", str(unlabeled), "--model", str(tmp_path / "model"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert list(scored.columns) == ["text", "fake_probability", "reasons"]
    assert scored["fake_probability"][0] > 0.5 > scored["fake_probability"][1]


def test_score_with_the_shipped_model_on_a_file_with_every_column(tmp_path):
    frame = pd.DataFrame({"review_id": ["r1", "r2"], "reviewer_id": ["u1", "u2"], "product_id": ["p1", "p1"],
                          "merchant_id": ["m1", "m1"], "rating": [5, 2], "created_at": ["2026-10-01 10:00", "2026-10-02"],
                          "text": ["宝贝收到了，非常满意", "质量一般，有点失望"]})
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["reviews", "score", "--input", str(write(tmp_path / "in.csv", frame)), "--model", "models/reviews",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["fake_probability"].between(0, 1).all()


def test_rows_without_a_label_are_context_for_the_signals_not_training_examples(tmp_path):
    frame = text_only().assign(reviewer_id=lambda f: [f"U{i % 40}" for i in range(len(f))])
    frame["label"] = frame["label"].astype(str)
    frame.loc[frame.index % 4 == 3, "label"] = ""
    result = train_from_csv(write(tmp_path / "mixed.csv", frame), tmp_path / "model")
    assert result["rows"] == int((frame["label"] != "").sum()) and result["context_rows"] == int((frame["label"] == "").sum())
    with pytest.raises(InputFileError, match="no labelled rows"):
        read_review_csv(write(tmp_path / "none.csv", frame.assign(label="")), need_label=True)


def test_analysts_verdicts_in_the_warehouse_become_a_training_file(settings, tmp_path):
    import datetime as dt

    from tests.conftest import START
    from trust import pipeline

    for day in range(3):
        pipeline.run_ingest(settings, START + dt.timedelta(days=day))
    exported = export_review_labels(settings, tmp_path / "labels.csv")
    assert exported["labelled"] == exported["fake"] + exported["genuine"] > 0
    frame = pd.read_csv(tmp_path / "labels.csv", dtype=str, keep_default_na=False)
    assert len(frame) == exported["reviews"] > exported["labelled"]  # every review, the unlabelled ones as context
    assert set(frame["label"]) <= {"0", "1", ""}
    trained = train_from_csv(tmp_path / "labels.csv", tmp_path / "model")
    assert trained["rows"] == exported["labelled"] and trained["mode"] == "trained"
