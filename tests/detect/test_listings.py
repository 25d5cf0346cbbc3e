"""Baseline listing rules: slang, brand price and claims flag risk; legitimate brand mentions do not."""

import json

import pandas as pd
import pytest

from trust.detect.listings import FLAG_AT, ListingRuleDetector, listing_features
from trust.text import normalize_text


def verdict(title, price, category="箱包", brand=None, description=None):
    frame = pd.DataFrame([{"listing_id": "L1", "merchant_id": "M1", "title": normalize_text(title), "description": description,
                           "brand": brand, "category": category, "price": price}])
    features = listing_features(frame)
    model = ListingRuleDetector().fit(features)
    score = model.predict_proba(features)[:, 1]
    return float(score[0]), model.labels(features, score)[0], [r["text"] for r in json.loads(model.reasons(features)[0])]


@pytest.mark.parametrize("title", ["高仿LV老花包 1:1", "高 仿 路易威登 单肩包 原单", "ＬＶ　復刻　托特包　A貨", "g仿LV 超A 手提包"])
def test_counterfeit_slang_with_an_implausible_brand_price_is_flagged(title):
    score, label, reasons = verdict(title, 380)
    assert score >= FLAG_AT and label == "counterfeit_risk"
    assert any(r.startswith("price ¥380 is 4% of the LV reference price") for r in reasons)


@pytest.mark.parametrize("title,price,category", [
    ("适用于iPhone 15 手机壳 防摔", 29, "数码"),
    ("雅诗兰黛 Estee Lauder 小棕瓶精华 官方授权", 650, "美妆护肤"),
    ("mini 迷你双肩包 新款", 89, "箱包"),
    ("夏季新款连衣裙 显瘦", 129, "女装"),
])
def test_honest_listings_that_mention_brands_are_not_flagged(title, price, category):
    score, label, _ = verdict(title, price, category)
    assert score < FLAG_AT and label is None


def test_claims_on_cosmetics_are_false_advertising():
    score, label, reasons = verdict("美白精华 三天美白 100%有效 纯天然无副作用", 99, "美妆护肤")
    assert label == "false_advertising" and score >= FLAG_AT
    assert any("三天美白" in r for r in reasons)
