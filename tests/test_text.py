"""Text normalisation and segmentation."""

import opencc
import pytest

from trust.synth import text as synth_text
from trust.text import domain_words, is_decodable, normalize_text, segment


def test_traditional_becomes_simplified():
    assert normalize_text("這款高仿包質量很好，賣家發貨快") == "这款高仿包质量很好,卖家发货快"


def test_full_width_ascii_becomes_half_width_and_spaces_fold():
    assert normalize_text("ＬＶ　老花包　１：１\t原单") == "LV 老花包 1:1 原单"


def test_control_characters_and_bom_are_dropped_and_none_stays_none():
    assert normalize_text("\ufeff好\x00评\u200b") == "好评"
    assert normalize_text(None) is None


@pytest.mark.parametrize("sentence", synth_text.POSITIVE + synth_text.NEGATIVE + synth_text.FARM_TEMPLATES)
def test_character_table_agrees_with_opencc_on_review_text(sentence):
    traditional = opencc.OpenCC("s2t").convert(sentence)
    assert normalize_text(traditional) == normalize_text(opencc.OpenCC("t2s").convert(traditional))


def test_undecodable_text_is_detected():
    assert not is_decodable("bad \ufffd bytes")
    assert is_decodable("正常文本 ok 123")


def test_domain_words_stay_whole():
    words = segment(normalize_text("高仿LV包包，A货1:1，专柜验货，加微信私聊"))
    for word in ("高仿", "包包", "A货", "专柜验货", "加微信"):
        assert word in words
    assert "拉人头" in domain_words()


def test_fast_and_reference_segmenters_agree_on_generated_reviews():
    import numpy as np

    rng = np.random.default_rng(3)
    reviews = synth_text.genuine_reviews(rng, rng.integers(1, 6, 300)) + synth_text.farm_reviews(rng, 100, 5)
    reviews = [normalize_text(r) for r in reviews]
    disagreements = [r for r in reviews if segment(r, fast=True) != segment(r, fast=False)]
    assert not disagreements, disagreements[:3]
