"""Apply an entity contract to raw cells: typed good rows out, every bad row with its reasons."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from trust.ingest.contracts import Contract, Field
from trust.ingest.readers import NotAValue
from trust.text import is_decodable, normalize_text

_TRUE = {"true", "1", "yes", "y", "t", "是", "真"}
_FALSE = {"false", "0", "no", "n", "f", "否", "假"}
_OFFSET = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.I)
_FULL_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(?:$|[T ])")  # 2026-10 or 20261001 is not a day: never guessed


@dataclass
class Validated:
    good: pd.DataFrame  # typed columns of the contract plus _row
    bad: pd.DataFrame  # _row, column, value, reason (one row per problem)


def validate(
    raw: pd.DataFrame,
    contract: Contract,
    business_date: dt.date,
    tz: ZoneInfo,
    known_ids: dict[str, set[str]],
    already_loaded: dict[str, str] | None = None,
) -> Validated:
    """Check every cell of ``raw`` against ``contract``.

    ``known_ids`` maps an entity name to the ids it already has (warehouse plus this partition);
    ``already_loaded`` maps ids loaded from earlier files of the partition to their file name.
    """
    rows = raw["_row"].to_numpy()
    problems: list[pd.DataFrame] = []
    typed = pd.DataFrame({"_row": rows}, index=raw.index)
    day_end = pd.Timestamp(business_date) + pd.Timedelta(days=1)

    # Readers say when a file cannot hold a NUL or a nested value; otherwise (or when unsure) every cell is checked.
    check_nul, check_not_values = raw.attrs.get("nul", True), raw.attrs.get("not_values", True)
    texts_only = raw.attrs.get("texts_only", False)
    for spec in contract.fields:
        cells = raw[spec.name] if spec.name in raw.columns else pd.Series(None, index=raw.index, dtype=object)
        values = cells.to_numpy(dtype=object)
        # Inline, not _texts: the one pass over every cell of the file. A frame its reader says holds nothing but
        # text and None (CSV) needs no type test per cell.
        stripped = pd.Series([v and v.strip() for v in values] if texts_only and spec.name in raw.columns else
                             [v.strip() if isinstance(v, str) else v for v in values], index=raw.index, dtype=object)
        missing = stripped.isna() | (stripped == "")
        present = ~missing
        not_value = present & _each(cells, lambda v: isinstance(v, NotAValue)) if check_not_values else present & False
        if not_value.any():  # a JSON object or list, a Parquet list, binary that is not text: never flattened to text
            problems.append(pd.DataFrame({"_row": rows[not_value.to_numpy()], "column": spec.name,
                                          "value": _texts(cells[not_value], repr), "reason": _texts(cells[not_value], lambda v: v.reason)}))
            present = present & ~not_value
        if check_nul and present.any():  # no warehouse stores U+0000, and dropping it would change the value behind our back
            has_nul = present & _each(cells, lambda v: isinstance(v, str) and "\x00" in v)
            if has_nul.any():
                problems.append(pd.DataFrame({"_row": rows[has_nul.to_numpy()], "column": spec.name, "value": cells[has_nul],
                                              "reason": "contains a NUL character (U+0000)"}))
                present = present & ~has_nul
        stripped = stripped.where(present | missing, None)  # what was set aside above is never converted

        def flag(mask: pd.Series, reason: str | pd.Series, spec: Field = spec, cells: pd.Series = cells) -> None:
            mask = mask.fillna(False).astype(bool)
            if mask.any():
                reasons = reason[mask] if isinstance(reason, pd.Series) else reason
                problems.append(
                    pd.DataFrame(
                        {"_row": rows[mask.to_numpy()], "column": spec.name, "value": cells[mask], "reason": reasons}
                    )
                )

        if spec.required:
            flag(missing, "required value is missing")
        value = _convert(spec, stripped, present, flag, tz)
        if spec.kind == "datetime" and spec.not_after_business_date:
            flag(present & (value >= day_end), f"is after the business date {business_date} (a timestamp in the future)")
        if spec.references is not None:
            known = known_ids.get(spec.references, set())  # a set: looked up per value, never copied into an array
            flag(present & ~_each(value, known.__contains__), f"names no known {spec.references[:-1].replace('_', ' ')}")
        typed[spec.name] = value.where(present, None) if spec.kind in ("id", "text", "enum") else value

    key = contract.key
    keys = typed[key]
    duplicated = keys.notna() & keys.duplicated(keep="first")
    first_row = pd.Series(rows, index=typed.index).groupby(keys).transform("min")
    problems_dup = typed.loc[duplicated]
    if not problems_dup.empty:
        problems.append(
            pd.DataFrame(
                {
                    "_row": problems_dup["_row"].to_numpy(),
                    "column": key,
                    "value": problems_dup[key],
                    "reason": "duplicate id: also at row " + first_row[duplicated].astype(int).astype(str),
                }
            )
        )
    if already_loaded:
        earlier = keys.isin(already_loaded.keys())
        if earlier.any():
            problems.append(
                pd.DataFrame(
                    {
                        "_row": typed.loc[earlier, "_row"].to_numpy(),
                        "column": key,
                        "value": keys[earlier],
                        "reason": "duplicate id: already loaded from " + keys[earlier].map(already_loaded),
                    }
                )
            )

    bad = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=["_row", "column", "value", "reason"])
    )
    good = typed[~typed["_row"].isin(set(bad["_row"]))].reset_index(drop=True)
    return Validated(good=good, bad=bad)


def _texts(cells: pd.Series, function) -> pd.Series:
    """``function`` of each cell as an object column: pandas' default string dtype (Arrow) cannot hold a lone
    surrogate, and a value carrying one must reach the undecodable-text check, not crash the file."""
    return pd.Series([function(v) for v in cells.to_numpy(dtype=object)], index=cells.index, dtype=object)


def _distinct_texts(cells: pd.Series, function) -> pd.Series:
    """:func:`_texts` for a column of few distinct values (enums, flags): ``function`` runs once per distinct value."""
    values = cells.to_numpy(dtype=object)
    table = {value: function(value) for value in dict.fromkeys(values)}
    return pd.Series(list(map(table.__getitem__, values)), index=cells.index, dtype=object)


def _each(cells: pd.Series, test) -> pd.Series:
    """``test`` of each cell as a boolean column (a plain loop over the values: no pandas machinery per cell)."""
    values = cells.to_numpy(dtype=object)
    return pd.Series(np.fromiter(map(test, values), dtype=bool, count=len(values)), index=cells.index)


def _longer_than(cells: pd.Series, limit: int) -> pd.Series:
    """Text cells of more than ``limit`` characters. The longest is measured first (one pass in C over the text cells):
    cell by cell only when some cell is too long."""
    values = cells.to_numpy(dtype=object)
    texts = [v for v in values if isinstance(v, str)]
    if max(map(len, texts), default=0) <= limit:
        return pd.Series(False, index=cells.index)
    return pd.Series(np.fromiter((isinstance(v, str) and len(v) > limit for v in values), dtype=bool, count=len(values)),
                     index=cells.index)


def _undecodable(cells: pd.Series) -> pd.Series:
    """Text cells carrying decode-replacement characters or lone surrogates. The column is tested whole first (one
    search and one encode of all its text); cell by cell only when it holds such text somewhere."""
    texts = [v for v in cells.to_numpy(dtype=object) if isinstance(v, str)]
    whole = "".join(texts)
    if "\ufffd" not in whole:
        try:
            whole.encode("utf-8")  # a lone surrogate anywhere fails this (UTF-8 never pairs them)
            return pd.Series(False, index=cells.index)
        except UnicodeEncodeError:
            pass
    return _each(cells, lambda v: isinstance(v, str) and not is_decodable(v))


def _convert(spec: Field, cells: pd.Series, present: pd.Series, flag, tz: ZoneInfo) -> pd.Series:
    kind = spec.kind
    if kind == "id":
        value = cells.astype(object)
        too_long = present & _longer_than(value, spec.max_length or 64)
        flag(too_long, f"id longer than {spec.max_length} characters")
        flag(present & _undecodable(value), "undecodable text (invalid UTF-8 bytes)")
        return value
    if kind == "text":
        undecodable = present & _undecodable(cells)
        flag(undecodable, "undecodable text (invalid UTF-8 bytes)")
        value = _texts(cells, lambda v: normalize_text(v) if isinstance(v, str) else v)
        if spec.max_length:
            flag(present & _longer_than(value, spec.max_length),
                 f"longer than {spec.max_length} characters")
        return value
    if kind == "enum":
        value = _distinct_texts(cells, lambda v: v.lower() if isinstance(v, str) else v)
        flag(present & ~value.isin(spec.choices), f"is not one of: {', '.join(spec.choices)}")
        return value
    if kind == "bool":
        value = _distinct_texts(cells, _yes_no)
        flag(present & value.isna(), "is not a yes/no value (true/false, 1/0, yes/no)")
        return value.astype(object)
    if kind in ("int", "float"):
        number = pd.to_numeric(cells, errors="coerce").astype(float)
        not_number = present & (number.isna() | ~np.isfinite(number.fillna(0)))
        flag(not_number, "is not a number")
        if kind == "int":
            flag(present & ~not_number & (number % 1 != 0), "is not a whole number")
        ok = present & ~not_number
        if spec.minimum is not None:
            flag(ok & (number < spec.minimum), f"is below the minimum {spec.minimum:g}")
        if spec.maximum is not None:
            flag(ok & (number > spec.maximum), f"is above the maximum {spec.maximum:g}")
        if kind == "int":
            return number.where(ok).round().astype("Int64")
        return number.where(ok)
    if kind == "datetime":
        value = _parse_timestamps(cells, present, tz)
        flag(present & value.isna(), "is not a timestamp (expected ISO 8601, e.g. 2026-11-20T14:03:00+08:00)")
        return value
    raise ValueError(f"unknown field kind {kind!r} for column {spec.name!r}")


def _yes_no(value):
    """True, False, or None for text that is neither (and for None)."""
    if not isinstance(value, str):
        return None
    value = value.lower()
    return True if value in _TRUE else (False if value in _FALSE else None)


# A column whose every present cell has one of these shapes needs no test cell by cell: each has a full date, and
# has an offset (True) or has none (False) as _OFFSET says.
_UNIFORM_STAMPS = ((re.compile(r"(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\n)*"), False),
                   (re.compile(r"(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}\n)*"), True))


def _uniform_offsets(texts: list[str]) -> bool | None:
    """Whether the timestamps carry an offset, when every one has the same plain shape (one match of the column joined
    by newlines, which no cell of such a shape holds); None when they do not (the caller tests them one by one)."""
    whole = "\n".join(texts) + "\n"
    for shape, offset in _UNIFORM_STAMPS:
        if shape.fullmatch(whole):
            return offset
    return None


def _parse_timestamps(cells: pd.Series, present: pd.Series, tz: ZoneInfo) -> pd.Series:
    """ISO 8601 text → naive local time in ``tz``; a value with an offset is converted, one without is local."""
    out = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    text = cells.where(present)
    uniform = _uniform_offsets(text[present].tolist()) if present.any() else None
    if uniform is not None:
        has_offset = present & uniform
    else:
        present = present & _each(text, lambda v: isinstance(v, str) and _FULL_DATE.match(v) is not None)
        has_offset = present & _each(text, lambda v: isinstance(v, str) and _OFFSET.search(v) is not None)
    naive = present & ~has_offset
    if naive.any():
        parsed = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
        out[naive] = parsed.astype("datetime64[us]")
    if has_offset.any():
        parsed = pd.to_datetime(text[has_offset], errors="coerce", format="ISO8601", utc=True)
        out[has_offset] = parsed.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[us]")
    return out
