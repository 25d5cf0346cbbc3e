"""The hand-written, held-out listing set (issue 17) is what it says it is, and `trust eval listings` reads any such
file. The set's figures are not asserted here: it is evaluated once at the end of the modelling work it judges."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trust.detect.listings.files import HARD_NEGATIVE_KINDS, evaluate_listings_file

HELD_OUT = Path(__file__).resolve().parents[3] / "data" / "eval" / "listings_handwritten.csv"
MODELS = Path(__file__).resolve().parents[3] / "models" / "listings"
CATEGORIES = {"美妆护肤", "箱包", "手表", "服饰", "鞋靴", "母婴", "保健品", "数码", "食品", "酒水"}


def test_the_held_out_listing_set_covers_every_category_honest_kind_and_evasion():
    rows = pd.read_csv(HELD_OUT, dtype=str, keep_default_na=False)
    assert len(rows) >= 300 and rows["listing_id"].is_unique and set(rows["category"]) == CATEGORIES
    assert set(rows["label"]) == {"ok", "counterfeit", "false_advertising"}
    assert (pd.to_numeric(rows["price"]) > 0).all() and (rows["title"].str.strip() != "").all()
    kinds = rows["kind"].value_counts()
    assert all(kinds[kind] >= 10 for kind in HARD_NEGATIVE_KINDS)  # every honest look-alike, in numbers
    assert rows["kind"].isin(HARD_NEGATIVE_KINDS).mean() >= 0.40
    counterfeit = rows[rows["label"] == "counterfeit"]
    assert counterfeit["kind"].isin(["cf_plain", "cf_regional"]).mean() >= 0.5  # at least half without replica slang
    assert {"cf_jargon", "cf_evasion", "cf_regional", "fa_medical", "fa_cert", "fa_pseudo", "fa_impossible"} <= set(kinds.index)
    assert rows["kind"].str.split("_").str[0].map({"ok": "ok", "cf": "counterfeit", "fa": "false_advertising"}).eq(rows["label"]).all()


def test_eval_listings_reports_auc_precision_recall_and_figures_per_kind_and_category(tmp_path):
    sample = tmp_path / "sample.csv"
    sample.write_text(
        "listing_id,category,title,description,brand,price,label,kind\n"
        "a,箱包,高仿LV老花包 1:1 原单,,,380,counterfeit,cf_jargon\n"
        "b,箱包,帆布托特包 无logo,,,45,ok,ok_unbranded\n"
        "c,数码,适用于 iPhone 16 手机壳,,,35,ok,ok_compatible\n"
        "d,保健品,降血糖 胶囊 根治糖尿病 停药不反弹,,,298,false_advertising,fa_medical\n", encoding="utf-8")
    result = evaluate_listings_file(sample, MODELS)
    from trust.detect.listings.model import flag_threshold, load_listing_model

    assert result["rows"] == 4 and result["problem_listings"] == 2
    assert result["threshold"] == flag_threshold(load_listing_model(MODELS))  # the model's own, the nightly run's
    assert 0 <= result["auc"] <= 1 and set(result["by_kind"]) == {"cf_jargon", "ok_unbranded", "ok_compatible", "fa_medical"}
    assert result["by_kind"]["ok_compatible"]["problem"] is False and result["by_category"]["数码"]["recall"] is None
    assert result["hard_negative_false_positive_rate"] is not None


COMPLAINTS_HELD_OUT = HELD_OUT.parent / "complaints_handwritten.csv"


def test_the_held_out_complaint_set_is_in_buyers_words_with_every_category_and_mixed_scripts():
    from trust.detect import COMPLAINT_CATEGORIES
    from trust.text import normalize_text

    rows = pd.read_csv(COMPLAINTS_HELD_OUT, dtype=str, keep_default_na=False)
    assert len(rows) >= 200 and rows["complaint_id"].is_unique and set(rows["label"]) == set(COMPLAINT_CATEGORIES)
    assert rows["label"].value_counts().min() >= 25
    assert (rows["text"].str.contains(r"^[A-Za-z\"]", regex=True)).sum() >= 10  # English-only complaints
    def han(text: str) -> str:
        return "".join(c for c in text if "\u4e00" <= c <= "\u9fff")

    traditional = rows["text"].map(lambda text: han(normalize_text(text)) != han(text))
    assert traditional.sum() >= 10  # traditional script, which normalisation turns into simplified


def test_eval_complaints_file_reports_macro_f1_and_per_category_confusions(tmp_path):
    from trust.detect.complaints.files import evaluate_complaints_file

    sample = tmp_path / "c.csv"
    sample.write_text("text,label\n鞋子开胶了，穿了一周,quality_defect\n快递十天没到,not_delivered\n"
                      "客服骂人,other\n", encoding="utf-8")
    result = evaluate_complaints_file(sample, MODELS.parent / "complaints")
    assert result["rows"] == 3 and 0 <= result["macro_f1"] <= 1
    assert set(result["per_category"]) == {"quality_defect", "not_delivered", "other"}
    assert all({"precision", "recall", "f1", "taken_for"} <= set(v) for v in result["per_category"].values())
