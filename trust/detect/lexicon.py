"""Shipped lexicons and the brand catalogue, loaded once per process."""

from __future__ import annotations

import functools
import re

import pandas as pd

from trust.settings import SHIPPED_DATA

LEXICON = SHIPPED_DATA / "lexicon"
EVASION_SEPARATORS = re.compile(r"[\s\.\*\-_·•/\\|~]+")


def _terms(name: str) -> list[str]:
    lines = (LEXICON / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def compact(series: pd.Series) -> pd.Series:
    """Lower-case and remove the separators people insert to dodge filters ("高 仿", "复*刻")."""
    return series.fillna("").str.lower().str.replace(EVASION_SEPARATORS, "", regex=True)


def _alternation(terms: list[str]) -> re.Pattern[str]:
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        escaped = re.escape(term)
        parts.append(f"(?<![a-z]){escaped}(?![a-z])" if re.fullmatch(r"[a-z0-9 \-]+", term) else escaped)
    return re.compile("|".join(parts))


@functools.cache
def counterfeit_pattern() -> re.Pattern[str]:
    return _alternation([EVASION_SEPARATORS.sub("", t.lower()) for t in _terms("counterfeit_terms.txt")])


@functools.cache
def claim_pattern() -> re.Pattern[str]:
    return _alternation([EVASION_SEPARATORS.sub("", t.lower()) for t in _terms("false_claim_terms.txt")])


@functools.cache
def brands() -> pd.DataFrame:
    return pd.read_csv(SHIPPED_DATA / "brands.csv")


@functools.cache
def brand_aliases() -> dict[str, str]:
    """Alias (lower-case, compacted) → canonical brand name."""
    out: dict[str, str] = {}
    for row in brands().itertuples(index=False):
        for alias in [row.brand, row.name_zh, *str(row.aliases).split("|")]:
            key = EVASION_SEPARATORS.sub("", str(alias).lower())
            if key:
                out.setdefault(key, row.brand)
    return out


@functools.cache
def brand_pattern() -> re.Pattern[str]:
    return _alternation(list(brand_aliases()))


@functools.cache
def complaint_keywords() -> pd.DataFrame:
    rows = []
    for line in (LEXICON / "complaint_keywords.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, keyword, severity = line.split("\t")
        rows.append((category, keyword.lower(), int(severity)))
    return pd.DataFrame(rows, columns=["category", "keyword", "severity"])
