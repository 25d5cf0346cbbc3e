"""`trust listings check|train|score` and `trust complaints train|score`: documented columns, clear refusals."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from trust.cli import app
from trust.detect.complaints.files import read_complaint_csv
from trust.detect.listings.files import read_listing_csv
from trust.detect.csv_input import InputFileError

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
    with pytest.raises(InputFileError, match=r"missing required column\(s\) title"):
        read_listing_csv(write(tmp_path / "a.csv", pd.DataFrame({"name": ["x"], "label": ["ok"]})), need_label=True)
    with pytest.raises(InputFileError, match=r"row 2, column label: 'fake' is not one of"):
        read_listing_csv(write(tmp_path / "b.csv", pd.DataFrame({"title": ["x"], "label": ["fake"]})), need_label=True)
    with pytest.raises(InputFileError, match=r"row 3, column price: '便宜' is not a number"):
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
    with pytest.raises(InputFileError, match=r"missing required column\(s\) text"):
        read_complaint_csv(write(tmp_path / "a.csv", pd.DataFrame({"body": ["x"]})), need_label=False)
    with pytest.raises(InputFileError, match=r"row 2, column label: 'spam' is not one of"):
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


def test_complaints_train_learns_word_vectors_from_an_unlabelled_corpus(tmp_path):
    rows = [(t, c) for c, ts in {"quality_defect": ["苹果发霉了", "橙子发霉了"], "not_delivered": ["快递丢件了", "物流丢件了"]}.items()
            for t in ts for _ in range(4)]
    path = write(tmp_path / "c.csv", pd.DataFrame(rows, columns=["text", "label"]))
    reviews = [f"{f}{s}了太恶心，{f}{s}了不新鲜" for f in ("苹果", "橙子", "香蕉", "葡萄", "芒果", "西瓜", "桃子", "梨子", "柚子", "李子")
               for s in ("发霉", "长毛", "腐烂", "烂掉", "变质", "坏掉")]
    reviews += [f"{p}{s}了好着急，{p}{s}了没人管" for p in ("快递", "物流", "包裹", "订单", "货物", "单号", "件", "运单", "邮件", "箱子")
                for s in ("丢件", "延误", "滞留", "停滞", "卡住", "没动")]
    reviews = [f"{r}，买了{i % 70}次" for i, r in enumerate(reviews)]  # word vectors need more than 64 distinct words
    corpus = write(tmp_path / "reviews.csv", pd.DataFrame({"review": reviews * 10}))
    missing = runner.invoke(app, ["complaints", "train", "--input", str(path), "--model", str(tmp_path / "m"), "--corpus", str(corpus)])
    assert missing.exit_code != 0 and "missing required column(s) text" in str(missing.exception)
    result = runner.invoke(app, ["complaints", "train", "--input", str(path), "--model", str(tmp_path / "m"), "--corpus", str(corpus),
                                 "--corpus-column", "review"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["training_data"]["word_vectors"]["documents"] == len(reviews) * 10
    assert any("mean word vector" in f and "neighbour-swapped" in f for f in card["features"])
    new = write(tmp_path / "new.csv", pd.DataFrame({"text": ["香蕉长毛了"]}))
    runner.invoke(app, ["complaints", "score", "--input", str(new), "--model", str(tmp_path / "m"), "--output", str(tmp_path / "o.csv")])
    assert pd.read_csv(tmp_path / "o.csv")["category"].tolist() == ["quality_defect"]
