"""The brand catalogue is a moderator's knowledge in a file: checked when loaded, and checked here."""

from __future__ import annotations

import pytest

from trust.detect.brand_catalogue import CATEGORIES, alias_key, load_catalogue, shipped_catalogue


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
