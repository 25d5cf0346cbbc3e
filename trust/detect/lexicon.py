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
    """One pattern for the terms, longest first (Latin terms as whole words). A match starts with the first character
    of a term: a lookahead for those characters rejects every other position at once instead of trying each term
    there (the same matches, ten times faster on listing texts)."""
    parts = []
    distinct = sorted(set(terms), key=len, reverse=True)
    for term in distinct:
        escaped = re.escape(term)
        parts.append(f"(?<![a-z]){escaped}(?![a-z])" if re.fullmatch(r"[a-z0-9 \-]+", term) else escaped)
    if not distinct or "" in distinct:
        return re.compile("|".join(parts))
    firsts = "".join(re.escape(ch) for ch in sorted({term[0] for term in distinct}))
    return re.compile(f"(?=[{firsts}])(?:{'|'.join(parts)})")


_CJK = re.compile(r"[\u4e00-\u9fff]")


def pinyin_variants(term: str) -> list[str]:
    """How sellers spell a Chinese term to dodge filters: full pinyin (gaofang), initials (gf) and one character
    swapped for its pinyin (gao仿, 高fang). Generated for every lexicon term, not listed by hand."""
    from pypinyin import lazy_pinyin

    chars = list(term)
    if not 2 <= len(chars) <= 4 or not all(_CJK.match(c) for c in chars):
        return []
    syllables = lazy_pinyin(term)
    if len(syllables) != len(chars):
        return []
    variants = {"".join(syllables), "".join(s[0] for s in syllables)}
    for i, syllable in enumerate(syllables):
        variants.add("".join(chars[:i]) + syllable + "".join(chars[i + 1:]))
    return sorted(variants)


def with_variants(terms: list[str]) -> list[str]:
    """The terms (compacted, lower case) and their generated pinyin spellings."""
    out = []
    for term in terms:
        key = EVASION_SEPARATORS.sub("", term.lower())
        out += [key, *pinyin_variants(key)]
    return out


def counterfeit_terms() -> list[str]:
    return _terms("counterfeit_terms.txt")


def claim_terms() -> list[str]:
    return [EVASION_SEPARATORS.sub("", t.lower()) for t in _terms("false_claim_terms.txt")]


def terms_pattern(terms: list[str]) -> re.Pattern[str]:
    """One pattern for the terms and their generated pinyin spellings (Latin terms as whole words)."""
    return _alternation(with_variants(terms))


@functools.cache
def counterfeit_pattern() -> re.Pattern[str]:
    return terms_pattern(counterfeit_terms())


@functools.cache
def claim_pattern() -> re.Pattern[str]:
    return _alternation(claim_terms())


# Efficacy promised within a time ("3天美白", "一周淡斑", "28天逆龄"): a claim shape, whatever the effect word.
EFFICACY_IN_TIME = re.compile(r"(?:\d+|[一二两三四五六七八九十百]+)(?:天|日|周|个月|星期)(?:内)?(?:见效|美白|淡斑|祛|去|瘦|减|白|逆龄|长高|治|降|改善|告别)")


@functools.cache
def brands() -> pd.DataFrame:
    return pd.read_csv(SHIPPED_DATA / "brands.csv")


@functools.cache
def brand_reference_prices() -> dict[str, float]:
    """Canonical brand name → the reference price of its genuine goods."""
    return {str(b): float(p) for b, p in zip(brands()["brand"], brands()["reference_price"])}


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
