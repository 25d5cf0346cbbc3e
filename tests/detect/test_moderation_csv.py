"""`trust listings check|train|score` and `trust complaints train|score`: documented columns, clear refusals."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from trust.cli import app
from trust.detect.moderation_csv import read_complaint_csv, read_listing_csv
from trust.detect.review_csv import ReviewFileError

runner = CliRunner()


def write(path, frame):
    frame.to_csv(path, index=False)
    return path


def listings(n=120):
    rows = []
    for i in range(n):
        if i % 4 == 0:
            slang = ["高仿", "原单", "复刻"][i % 3] + (" A货" if i % 8 == 0 else "")
            rows.append((f"{slang}古驰{['手提包', '钱包'][i % 2]} {i}", 250 + i, "counterfeit"))
        elif i % 4 == 1:
            rows.append((f"美白精华 三天美白 100%有效 {i}", 99, "false_advertising"))
        else:
            rows.append((f"日常{['钱包', '双肩包'][i % 2]} 新款 {i}", 150 + i, "ok"))
    return pd.DataFrame(rows, columns=["title", "price", "label"])


def test_a_listing_file_without_title_or_with_a_bad_label_is_refused_with_row_column_and_value(tmp_path):
    with pytest.raises(ReviewFileError, match=r"missing required column\(s\) title"):
        read_listing_csv(write(tmp_path / "a.csv", pd.DataFrame({"name": ["x"], "label": ["ok"]})), need_label=True)
    with pytest.raises(ReviewFileError, match=r"row 2, column label: 'fake' is not one of"):
        read_listing_csv(write(tmp_path / "b.csv", pd.DataFrame({"title": ["x"], "label": ["fake"]})), need_label=True)
    with pytest.raises(ReviewFileError, match=r"row 3, column price: '便宜' is not a number"):
        read_listing_csv(write(tmp_path / "c.csv", pd.DataFrame({"title": ["x", "y"], "price": ["5", "便宜"]})), need_label=False)


def test_train_and_score_listings_with_title_price_and_label_only(tmp_path):
    path = write(tmp_path / "labeled.csv", listings())
    result = runner.invoke(app, ["listings", "train", "--input", str(path), "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["mode"] == "trained"
    new = write(tmp_path / "new.csv", pd.DataFrame({"title": ["高 仿 古驰 钱包", "日常钱包 新款"], "price": [280, 160]}))
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["listings", "score", "--input", str(new), "--model", str(tmp_path / "m"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert scored["problem_probability"][0] > 0.5 > scored["problem_probability"][1]
    assert scored["flag"][0] == "counterfeit_risk" and "counterfeit slang" in scored["reasons"][0]


def test_listings_check_prints_a_json_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["listings", "check", "--title", "高仿LV老花包 1:1", "--price", "380", "--category", "箱包"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["verdict"] == "review" and "counterfeit_risk" in verdict["flags"]
    assert any(r["code"] == "counterfeit_slang" for r in verdict["reasons"])


def test_complaint_files_need_text_and_known_categories(tmp_path):
    with pytest.raises(ReviewFileError, match=r"missing required column\(s\) text"):
        read_complaint_csv(write(tmp_path / "a.csv", pd.DataFrame({"body": ["x"]})), need_label=False)
    with pytest.raises(ReviewFileError, match=r"row 2, column label: 'spam' is not one of"):
        read_complaint_csv(write(tmp_path / "b.csv", pd.DataFrame({"text": ["x"], "label": ["spam"]})), need_label=True)


def test_train_and_score_complaints(tmp_path):
    texts = {"counterfeit": ["收到假货", "不是正品，鉴定过"], "not_delivered": ["一直没发货", "物流不动"],
             "after_sales_refused": ["拒绝退款", "售后不理"], "other": ["发票没开", "赠品没给"]}
    rows = [(t, c) for c, ts in texts.items() for t in ts for _ in range(3)]
    path = write(tmp_path / "c.csv", pd.DataFrame(rows, columns=["text", "label"]))
    result = runner.invoke(app, ["complaints", "train", "--input", str(path), "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "scored.csv"
    new = write(tmp_path / "new.csv", pd.DataFrame({"text": ["买到假货了", "催了一周还没发货"]}))
    result = runner.invoke(app, ["complaints", "score", "--input", str(new), "--model", str(tmp_path / "m"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert scored["category"].tolist() == ["counterfeit", "not_delivered"] and scored["severity"].tolist() == [3, 2]
