"""The brand catalogue (``data/brand_catalogue.csv``): brands counterfeited or mis-sold in Chinese social commerce and
protected regional products, with the names sellers use and the lowest plausible price of a genuine new item.

Loaded once and validated: every alias belongs to one brand (after normalisation: traditional → simplified,
full-width → half-width, lower case, spaces removed), every floor is a positive number, every category is known, every
row says where its figure comes from. A bad file is an error naming the row, the column and the value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trust.text import normalize_text

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "brand_catalogue.csv"
CATEGORIES = ("美妆护肤", "箱包", "手表", "服饰", "鞋靴", "母婴", "保健品", "数码", "食品", "酒水", "地理标志")
UNITS = ("item", "kg", "g", "each")
COLUMNS = ("brand", "line", "name_en", "name_zh", "pinyin", "aliases", "category", "price_floor_cny", "floor_unit", "source")


def alias_key(name: str) -> str:
    """How an alias is compared: normalised script and width, lower case, no spaces."""
    return "".join((normalize_text(name) or "").lower().split())


@dataclass(frozen=True)
class Catalogue:
    rows: pd.DataFrame  # one row per brand and line
    aliases: dict[str, int]  # alias key → row index

    @property
    def brands(self) -> int:
        return int(self.rows["brand"].nunique())


def _problem(path: Path, row: int, column: str, value, why: str) -> ValueError:
    return ValueError(f"{path}: row {row}, column {column}, value {value!r}: {why}")


def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    """Read and validate the catalogue (``#`` lines are comments); the error names file, row, column and value."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    aliases: dict[str, int] = {}
    owner: dict[str, tuple[str, int]] = {}
    for index, row in frame.iterrows():
        line_number = int(index) + 2  # the header is row 1 (comment lines not counted)
        for column in ("brand", "line", "name_zh", "source"):
            if not row[column].strip():
                raise _problem(path, line_number, column, row[column], "must not be empty")
        if row["category"] not in CATEGORIES:
            raise _problem(path, line_number, "category", row["category"], f"is not one of {', '.join(CATEGORIES)}")
        if row["floor_unit"] not in UNITS:
            raise _problem(path, line_number, "floor_unit", row["floor_unit"], f"is not one of {', '.join(UNITS)}")
        try:
            floor = float(row["price_floor_cny"])
        except ValueError:
            floor = float("nan")
        if not floor > 0:
            raise _problem(path, line_number, "price_floor_cny", row["price_floor_cny"], "is not a positive number")
        names = [row["name_zh"], row["name_en"], row["pinyin"], *row["aliases"].split(";")]
        for name in names:
            key = alias_key(name)
            if not key:
                continue
            if key in owner and owner[key][0] != (row["brand"], row["line"]):
                other_brand, other_row = owner[key]
                if other_brand[0] != row["brand"]:
                    raise _problem(path, line_number, "aliases", name,
                                   f"already names {other_brand[0]} (row {other_row}); an alias belongs to one brand")
                continue  # a brand's own name shared by its lines: the first line listed is the default
            owner.setdefault(key, ((row["brand"], row["line"]), line_number))
            aliases.setdefault(key, int(index))
    out = frame.copy()
    out["price_floor_cny"] = out["price_floor_cny"].astype(float)
    return Catalogue(out, aliases)


@functools.lru_cache(maxsize=1)
def shipped_catalogue() -> Catalogue:
    """The shipped catalogue, loaded and validated once per process."""
    return load_catalogue(CATALOGUE)
