"""The brand catalogue is a moderator's knowledge in a file: checked when loaded, and checked here."""

from __future__ import annotations

import pytest

from trust.detect.listings.brands import CATEGORIES, alias_key, load_catalogue, shipped_catalogue


def test_the_shipped_catalogue_knows_at_least_300_brands_across_every_category_with_floors_and_sources():
    catalogue = shipped_catalogue()
    rows = catalogue.rows
    assert catalogue.brands >= 300
    assert set(rows["category"]) == set(CATEGORIES)  # every category of the issue, regional products included
    assert (rows["price_floor_cny"] > 0).all() and rows["source"].str.len().min() > 20
    assert (rows.groupby("category")["brand"].nunique() >= 10).all()
    for name in ("始祖鸟", "arc'teryx", "宝格丽", "bvlgari", "五常大米", "阳澄湖大闸蟹", "飞天茅台", "sk-ii"):
        assert alias_key(name) in catalogue.aliases, name
    assert rows.loc[catalogue.aliases[alias_key("始祖鸟")], "price_floor_cny"] >= 1000


def test_an_alias_is_found_whatever_its_script_width_case_or_spacing():
    aliases = shipped_catalogue().aliases
    assert alias_key("ＬＯＵＩＳ　ＶＵＩＴＴＯＮ") in aliases and alias_key("路易 威登") in aliases
    assert alias_key("寶格麗") == alias_key("宝格丽")


def test_an_alias_shared_by_two_brands_is_refused_naming_both_rows(tmp_path):
    bad = tmp_path / "catalogue.csv"
    bad.write_text("brand,line,name_en,name_zh,pinyin,aliases,category,price_floor_cny,floor_unit,source\n"
                   "A,*,Alpha,阿尔法,aerfa,al;阿法,箱包,100,item,brand site 2025\n"
                   "B,*,Beta,贝塔,beita,AL,鞋靴,100,item,brand site 2025\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 3, column aliases, value 'AL': already names A \(row 2\)"):
        load_catalogue(bad)


@pytest.mark.parametrize("column,value,why", [("category", "玩具", "is not one of"), ("price_floor_cny", "0", "is not a positive"),
                                              ("price_floor_cny", "cheap", "is not a positive"), ("floor_unit", "box", "is not one of")])
def test_a_bad_value_is_refused_with_file_row_column_and_value(tmp_path, column, value, why):
    row = {"brand": "A", "line": "*", "name_en": "Alpha", "name_zh": "阿尔法", "pinyin": "aerfa", "aliases": "al",
           "category": "箱包", "price_floor_cny": "100", "floor_unit": "item", "source": "brand site 2025"}
    row[column] = value
    bad = tmp_path / "catalogue.csv"
    bad.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"catalogue.csv: row 2, column {column}, value '{value}': {why}"):
        load_catalogue(bad)


@pytest.mark.parametrize("text,brand,how", [
    ("香奈儿 经典 链条包", "Chanel", "its brand name"),
    ("Hermès 丝巾 90", "Hermes", "its brand name"),
    ("普 拉 达 尼龙包", "Prada", "spaces or symbols between its characters"),
    ("F*E*N*D*I 法棍", "Fendi", "spaces or symbols between its characters"),
    ("歐米茄 超霸 男錶", "Omega", "traditional characters"),
    ("ＣＯＡＣＨ 托特", "Coach", "full-width letters"),
    ("baogeli 手镯", "Bvlgari", "its pinyin"),
    ("balenciga 老爹鞋", "Balenciaga", "a misspelt Latin name"),
    ("patagonai 抓绒", "Patagonia", "a misspelt Latin name"),
    ("迈家 托特包 小号", "MichaelKors", "an “X家” nickname"),
    ("艾马仕 丝巾 90", "Hermes", "a homophone"),
    ("Beta AR 冲锋衣", "Arcteryx", "its nickname, abbreviation or line name"),
    ("冲锋衣 男 户外", None, None),
    ("马汀博士 1460 马丁靴", "DrMartens", "its brand name"),  # not Bose (博士) inside it
    ("Cel1ne 腋下包 小号", "Celine", "digits or symbols for letters"),
    ("🐴力士 男表 黑盘", "Rolex", "an emoji in place of a character"),
    ("巴黎家 老爹鞋 三代", "Balenciaga", "an “X家” nickname"),
    ("C家 CF 链条包 小羊皮", "Chanel", "an “X家” nickname"),  # a Latin initial, as the trade uses it
    ("H家 丝巾 90", "Hermes", "an “X家” nickname"),
    ("农家 散养 土鸡蛋 A家 同款", None, None),  # an initial the trade does not use for one house
])
def test_brand_mentions_are_found_the_way_sellers_hide_them_and_say_how(text, brand, how):
    from trust.detect.listings.brands import find_brands

    found = find_brands(text)
    if brand is None:
        assert found == []
        return
    assert found and found[0].brand == brand, found
    assert found[0].how.startswith(how), found[0].how


@pytest.mark.parametrize("title,price,category,fires,words", [
    ("Moncler 羽绒服 男 短款", 899, "服饰", True, "of ¥6,000, the lowest plausible price of a genuine new 盟可睐"),
    ("Moncler 羽绒服 二手 有NFC 九成新", 2600, "服饰", False, "second-hand"),
    ("Moncler 羽绒服 二手 九成新", 300, "服饰", True, "a third of the new floor"),
    ("适用于 Rimowa 拉杆箱 保护套", 59, "箱包", False, "compatible accessory"),
    ("兰蔻 小黑瓶 7ml 小样", 39, "美妆护肤", False, "sample size"),
    ("信阳毛尖 明前 1斤", 60, "食品", True, "¥120.00 per kg"),
    ("信阳毛尖 明前 500g", 260, "食品", False, "at or above"),
    ("盱眙龙虾 4斤装", 38, "食品", True, "per kg"),
    ("Apple 手机 iPhone 全新", 699, "数码", True, "iPhone / Mac / iPad"),
    ("苹果 红富士 10斤", 30, "食品", False, None),  # the fruit, not the phone maker
    ("迪奥 烈艳蓝金 口红", 60, "美妆护肤", True, "迪奥美妆"),  # the brand's beauty line, not its bags
    ("Balenciaga Triple S 老爹鞋", 260, "鞋靴", True, "outside its own category"),  # no shoe line: a third of the bags'
    ("二手 AirPods Pro 单只 右耳", 150, "数码", False, "a part or a single piece"),
    ("五粮液 普五 52度 整箱6瓶", 1380, "酒水", True, "6 read from the text"),
    ("剑南春 水晶剑 500ml 6瓶 送礼", 520, "酒水", True, "6 read from the text"),
    ("华为 充电器 66W 超级快充", 59, "数码", False, "a lower-priced product"),  # not judged as a phone
    ("华为 FreeBuds SE 2 耳机", 199, "数码", False, "at or above"),  # the earbuds line, not the phones
    ("茅台 王子酒 53度 500ml", 188, "酒水", False, "at or above"),  # the series liquor, not 飞天
    ("飞天茅台 53度 500ml", 690, "酒水", True, "飞天"),
    ("C家 CF 链条包 小羊皮 金扣", 1200, "箱包", True, "香奈儿 (an “X家” nickname"),  # the house's bags, in 箱包
    ("爱他美 卓萃 3段 900g 6罐 整箱", 299, "母婴", True, "6 read from the text"),  # cans counted without 装
    ("AJ11 康扣 男鞋 鞋盒配件全", 299, "鞋靴", True, "Air Jordan"),  # a box said to come with it is no part sold alone
    ("AJ11 鞋盒 单卖", 59, "鞋靴", False, "a part or a single piece"),
    ("汾酒 黄盖 玻汾 42度 475ml", 59, "酒水", False, "at or above"),  # the brand's cheapest bottle, not 青花
    ("青花汾酒 30年 53度 500ml", 199, "酒水", True, "青花"),
    ("五粮液 授权 专卖店 五粮春 45度 500ml", 298, "酒水", False, "五粮春"),  # a sub-brand, not 普五
    ("iPhone 15 Pro Max 256G 全新 国行", 2999, "数码", True, "iPhone Pro"),  # the Pro models' own floor
    ("戴森平替 高速吹风机 负离子", 129, "数码", False, "what it replaces"),  # a look-alike names what it replaces
    ("AirPods 平替 蓝牙耳机 国产", 89, "数码", False, "what it replaces"),
    ("巴宝莉风 格纹 围巾 羊毛混纺", 69, "服饰", False, "styled after"),  # X风: in the style of X
    ("小香风 粗花呢 外套 女", 169, "服饰", False, "styled after"),
    ("巴宝莉 风衣 经典 卡其", 599, "服饰", True, "博柏利"),  # 风衣 is a trench coat, not a style
    ("香奈儿 同款 双C logo 针织衫", 128, "服饰", True, "outside its own category"),  # a house with a beauty line too
    ("法棍包 腋下包 女 小众 设计", 79, "箱包", None, None),  # a bag shape anyone makes, not Fendi
    ("大闸蟹 鲜活 非阳澄湖 湖蟹 公3两 10只", 168, "食品", False, "says it is not"),  # the origin disclaimed
    ("郎酒 顺品郎 45度 480ml", 39, "酒水", False, "at or above"),  # everyday bottles, premium ranges as lines
    ("洋河 海之蓝 42度 480ml", 128, "酒水", False, "at or above"),
    ("洋河 梦之蓝 M6+ 52度 550ml", 168, "酒水", True, "梦之蓝"),
])
def test_the_price_is_judged_against_the_catalogue_floor_with_no_market(title, price, category, fires, words):
    from trust.detect.listings.brands import judge_price

    judgement = judge_price(title, None, price, category)
    if words is None:
        assert judgement is None
        return
    assert (judgement.probability >= 0.5) == fires, judgement
    assert words in judgement.reason, judgement.reason


def test_the_listing_check_and_csv_score_use_the_catalogue_without_a_market(tmp_path):
    import json

    from trust.detect.listings.stage import ListingChecker
    from trust.detect.listings.files import score_listings_csv

    models = __import__("pathlib").Path(__file__).resolve().parents[3] / "models" / "listings"
    verdict = ListingChecker(state_dir=None, model_dir=models).check("Canada Goose 远征 派克 男", 980, category="服饰")
    assert verdict["verdict"] == "review" and "counterfeit_risk" in verdict["flags"]
    assert verdict["reasons"][0]["code"] == "below_brand_floor" and "加拿大鹅" in verdict["reasons"][0]["text"]
    honest = ListingChecker(state_dir=None, model_dir=models).check("适用于 Canada Goose 帽子 毛领 替换", 99, category="服饰")
    assert honest["verdict"] == "pass" and honest["reasons"][0]["code"] == "brand_named"
    listings = tmp_path / "l.csv"
    listings.write_text("title,price,category\nTudor 帝舵 小红花 男表,1200,手表\n帆布包 无logo,39,箱包\n", encoding="utf-8")
    score_listings_csv(listings, models, tmp_path / "out.csv")
    scored = __import__("pandas").read_csv(tmp_path / "out.csv")
    assert list(scored["flag"].fillna("")) == ["counterfeit_risk", ""]
    assert json.loads(scored["reasons"][0])[0]["code"] == "below_brand_floor"
