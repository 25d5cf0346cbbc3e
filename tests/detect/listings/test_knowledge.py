"""What a moderator knows without a model or a market (trust.detect.listings.knowledge): replica-trade and
false-advertising wording, specifications impossible at the price, and the brand catalogue, laid over the listing
model on every path, with the flag threshold chosen on the development set and kept on the model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trust.detect.listings.knowledge import (CUES, find_cues, impossible_specs, listing_evidence, load_cues,
                                            with_knowledge)

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "models" / "listings"


@pytest.mark.parametrize("text,family,words", [
    ("AJ1 芝加哥 纯原 LJR出品", "replica_grade", "纯原"),
    ("潜航者 VS厂 3235机芯", "replica_grade", "vs厂"),
    ("和正品同一条生产线 代工厂直出", "same_factory", "代工厂"),
    ("海关罚没 一批 数量有限", "seized_or_internal", "海关罚没"),
    ("货源 莆田 直发", "copy_town", "莆田"),
    ("款式多 看主页 v：abc1234", "off_platform_contact", "看主页"),
    ("断码 售出不退", "no_returns", "售出不退"),
    ("高 访 品质 细节到位", "disguised_slang", "高访"),  # spaced: matched across the separators
    ("复 刻 版", "counterfeit_slang", "复刻"),  # the shipped slang lexicon, across spaces
    ("量子 能量芯片 手链", "pseudo_science", "量子"),
    ("喝一个疗程 血压稳定 降血压", "medical_claim", "降血压"),
    ("央视推荐 人民大会堂指定", "invented_endorsement", "央视推荐"),
    ("三天瘦8斤 不反弹", "efficacy_promise", "不反弹"),
    ("儿童奶片 增强免疫力", "immunity_claim", "增强免疫力"),
    ("母树大红袍 50g", "impossible_provenance", "母树"),
    ("🅰货 口红 三支装", "counterfeit_slang", "a货"),  # letters dressed up as emoji are letters
    ("1:1 复刻 劳力士", "counterfeit_slang", "1:1"),  # digits with a symbol between them, as written
    ("一比一 1 : 1 版本", "counterfeit_slang", "1 : 1"),
    ("AJ11 康扣 高端版本 原鞋开发", "replica_grade", "高端版本"),
    ("迪奥 999 口红 平替 一样的包装 和专柜一模一样", "replica_grade", "和专柜一模一样"),  # a "substitute" with the marks
    ("国家 药监局 认证 特效 祛痘 霜", "invented_endorsement", "药监局认证"),
    ("欧盟 CE 认证 防辐射 孕妇装", "pseudo_science", "防辐射孕妇装"),
    ("艾灸贴 治 颈椎病 腰间盘突出", "medical_claim", "颈椎病"),
])
def test_each_cue_family_fires_on_its_wording_and_quotes_the_words(text, family, words):
    fired = {e.code: e for e in find_cues(text)}
    assert family in fired, fired
    assert words in fired[family].text


@pytest.mark.parametrize("text", [
    "戴森 吹风机 负离子 护发",  # a hair dryer's negative ions are a feature, not a health claim
    "保健食品 蓝帽 增强免疫力 国食健字",  # a registered health food may claim it
    "纯棉 T恤 男 基础款 宽松",
    "华为 授权 体验店 MatePad 11.5 平板",  # "1:1" compacted is "11": never found inside a model number
    "双11 预售 iPhone 11 二手 版本 1.1",
])
def test_honest_wording_fires_nothing_strong(text):
    assert all(e.probability < 0.5 for e in find_cues(text)), find_cues(text)


@pytest.mark.parametrize("text,price,fires,words", [
    ("2TB 固态U盘 高速", 39, True, "2 TB of storage"),
    ("1TB 移动硬盘 机械", 329, False, None),
    ("100000毫安 充电宝 超薄", 49, True, "100,000 mAh"),
    ("10000mAh 充电宝 22.5W", 59, False, None),
    ("足金999 手镯 20克", 800, True, "per gram"),
    ("足金 转运珠 0.5克", 410, False, None),
    ("镀金 手链 时尚", 29, False, None),  # gold-plated says so
    ("8K 投影仪 家用", 299, True, "8K projector"),
    ("100%羊绒 毛衣 男", 89, True, "cashmere"),
    ("真丝 睡衣 套装", 59, True, "pure silk"),
    ("1000W 蓝牙音箱 便携", 59, True, "portable speaker"),
    ("纯银 999 手镯 50克 实心", 59, True, "solid silver"),
    ("s925 银 耳钉 2克", 39, False, None),  # too light to judge
])
def test_specifications_impossible_at_the_price_are_named_with_the_figure(text, price, fires, words):
    found = impossible_specs(text, price)
    assert bool(found) == fires, found
    if fires:
        assert words in found[0].text and found[0].kind == "false_advertising"


def test_a_bad_cue_file_is_refused_naming_the_file_family_field_and_value(tmp_path):
    bad = tmp_path / "cues.toml"
    bad.write_text('[families.x]\nkind = "scam"\nweight = 0.5\nsays = "x"\nterms = ["a"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"cues.toml: family x, field kind, value 'scam'"):
        load_cues(bad)
    bad.write_text('[families.x]\nkind = "counterfeit"\nweight = 1.5\nsays = "x"\nterms = ["a"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"field weight, value 1.5: is not a probability"):
        load_cues(bad)
    bad.write_text('[families.x]\nkind = "counterfeit"\nweight = 0.5\nsays = "x"\nterms = ["a"]\nneeds_brand = "yes"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"field needs_brand, value 'yes': is not true or false"):
        load_cues(bad)
    assert len(load_cues(CUES)) >= 10  # the shipped file loads


@pytest.mark.parametrize("title,told", [
    ("外贸 剩余 纯棉 床单 四件套", False),  # export surplus of unbranded goods: the honest story
    ("代工厂 直供 无标 羽绒服 90白鸭绒 剪标", False),
    ("源头 工厂 外贸 原单 纯棉 T恤", False),
    ("Moncler 代工厂 尾单 羽绒服 剪标", True),  # the same story about a brand's goods
    ("大牌 原单 老花 包包 工厂流出", True),  # a brand said without naming one
])
def test_a_factory_story_counts_only_when_it_is_told_about_a_brand(title, told):
    from trust.detect.listings.knowledge import listing_evidence

    codes = {e.code for e in listing_evidence(title, None, 99.0, None)}
    assert (("same_factory" in codes) or ("counterfeit_slang" in codes)) == told, codes


def test_knowledge_raises_the_model_never_lowers_it_and_its_reasons_come_first():
    frame = pd.DataFrame({"title": ["始祖鸟 Beta AR 冲锋衣 GTX", "帆布包 无logo", "帆布包 无logo"],
                          "description": ["", "", ""], "price": [399.0, 39.0, 39.0], "category": ["服饰", "箱包", "箱包"]})
    kinds = np.array([[0.96, 0.04, 0.0], [0.95, 0.05, 0.0], [0.2, 0.8, 0.0]])
    model_reasons = [json.dumps([{"code": "counterfeit_slang", "text": "model"}])] + ["[]", "[]"]
    out, reasons = with_knowledge(frame, kinds, model_reasons)
    assert out[0, 0] < 0.1 and out[0, 1] > 0.9  # the catalogue: ¥399 for a jacket whose floor is thousands
    assert json.loads(reasons[0])[0]["code"] == "below_brand_floor"
    assert np.allclose(out[1:], kinds[1:])  # nothing known: the model stands, high or low
    assert np.allclose(out.sum(axis=1), 1)


def test_one_listing_with_several_cues_combines_them_by_noisy_or():
    evidence = listing_evidence("爆款 原单 不退不换", "加v私聊", 100.0, "服饰")
    codes = {e.code for e in evidence}
    assert {"no_returns", "off_platform_contact"} <= codes
    frame = pd.DataFrame({"title": ["爆款 不退不换"], "description": ["加v私聊"], "price": [100.0], "category": ["服饰"]})
    out, _ = with_knowledge(frame, np.array([[1.0, 0.0, 0.0]]), ["[]"])
    assert out[0, 0] == pytest.approx((1 - 0.35) * (1 - 0.45))  # neither alone flags; together they do


def test_the_nightly_stage_flags_a_real_style_counterfeit_the_market_cannot_price():
    from trust.detect.listings.model import ListingContext, flag_threshold, load_listing_model
    from trust.detect.listings.stage import score_listings

    listings = pd.DataFrame({"listing_id": ["L1", "L2"], "merchant_id": ["M1", "M2"],
                             "title": ["宝格丽 Serpenti 蛇形手镯 18K玫瑰金", "纯棉 白T恤 男 基础款"],
                             "description": ["", ""], "brand": [None, None], "category": ["手表", "服饰"], "price": [520.0, 39.0]})
    model = load_listing_model(MODELS)
    scored = score_listings(listings, ListingContext.fit(listings), None, model)
    assert scored["score"][0] >= flag_threshold(model) and scored["label"][0] == "counterfeit_risk"
    assert json.loads(scored["reasons"][0])[0]["code"] in {"below_brand_floor", "impossible_specification"}
    assert scored["score"][1] < flag_threshold(model) and scored["reasons"][1] == "[]"


def test_the_threshold_is_chosen_on_a_development_file_and_used_everywhere(tmp_path):
    from trust.detect.listings.model import flag_threshold, load_listing_model
    from trust.detect.listings.stage import ListingChecker
    from trust.detect.listings.files import choose_listing_threshold, evaluate_listings_file

    model_dir = tmp_path / "listings"
    shutil.copytree(MODELS, model_dir)
    development = tmp_path / "dev.csv"
    development.write_text("title,price,category,label\n"
                           "高仿 LV 老花包 1:1,380,箱包,counterfeit\n始祖鸟 Beta AR 冲锋衣,399,服饰,counterfeit\n"
                           "量子 负离子 手环 调节血压,89,保健品,false_advertising\n帆布包 无logo,39,箱包,ok\n"
                           "适用于 iPhone 16 手机壳,29,数码,ok\n纯棉 白T恤,39,服饰,ok\n", encoding="utf-8")
    choice = choose_listing_threshold(development, model_dir, min_precision=0.9)
    assert choice["at_threshold"]["precision"] >= 0.9 and choice["at_threshold"]["recall"] == 1.0
    assert [row["threshold"] for row in choice["sweep"]] == sorted(row["threshold"] for row in choice["sweep"])
    assert choice["at_threshold"]["f1"] == 1.0 and choice["flag_at"] == min(
        row["threshold"] for row in choice["sweep"] if row["precision"] == 1.0 and row["recall"] == 1.0)
    assert flag_threshold(load_listing_model(model_dir)) == choice["flag_at"]
    card = json.loads((model_dir / "model_card.json").read_text(encoding="utf-8"))
    assert card["threshold"]["flag_at"] == choice["flag_at"] and "## Threshold" in (model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert evaluate_listings_file(development, model_dir)["threshold"] == choice["flag_at"]
    assert ListingChecker(model_dir=model_dir).check("帆布包 无logo", 39)["threshold"] == choice["flag_at"]
