"""Read one landing file into raw string cells, without losing a row.

Every reader returns ``RawFile``: a frame of ``str | None`` cells with ``_row`` (the 1-based record number in
the file, header not counted) plus the records that could not be split into fields at all. A file that
cannot be read at all raises ``FileRejected``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".parquet")


class FileRejected(Exception):
    """The whole file is unreadable; the message says why."""


@dataclass
class RawFile:
    frame: pd.DataFrame  # object cells (str or None) plus int column _row
    unparsed: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw text)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.unparsed)


def read_landing_file(path: Path) -> RawFile:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise FileRejected(f"unsupported file type {suffix!r}: expected one of {', '.join(SUPPORTED_SUFFIXES)}")


def _decode(path: Path) -> str:
    # Invalid bytes become U+FFFD so the validator can quarantine exactly the rows that carry them.
    text = path.read_bytes().decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def _header(names: list[str]) -> list[str]:
    header = [name.strip().lower() for name in names]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise FileRejected(f"header names a column more than once: {', '.join(duplicates)}")
    if any(name == "" for name in header):
        raise FileRejected("header has an empty column name")
    return header


def _read_csv(path: Path) -> RawFile:
    text = _decode(path)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows = list(reader)
    except csv.Error as exc:
        raise FileRejected(f"not valid CSV: {exc}") from None
    rows = [row for row in rows if row and any(cell.strip() for cell in row)]
    if not rows:
        raise FileRejected("empty file: no header row")
    header = _header(rows[0])
    good: list[list[str]] = []
    numbers: list[int] = []
    unparsed: list[tuple[int, str, str]] = []
    width = len(header)
    for number, row in enumerate(rows[1:], start=1):
        if len(row) != width:
            raw = ",".join(row)
            unparsed.append((number, f"row has {len(row)} fields but the header has {width}", raw))
            continue
        good.append(row)
        numbers.append(number)
    frame = pd.DataFrame(good, columns=header, dtype=object)
    frame = frame.where(frame != "", None)
    frame["_row"] = numbers
    return RawFile(frame, unparsed)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_jsonl(path: Path) -> RawFile:
    records: list[dict[str, str | None]] = []
    numbers: list[int] = []
    unparsed: list[tuple[int, str, str]] = []
    number = 0
    for line in _decode(path).splitlines():
        if not line.strip():
            continue
        number += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            unparsed.append((number, f"not valid JSON: {exc.msg} at character {exc.pos}", line))
            continue
        if not isinstance(record, dict):
            unparsed.append((number, f"a JSON {type(record).__name__}, not an object", line))
            continue
        records.append({str(k).strip().lower(): _cell(v) for k, v in record.items()})
        numbers.append(number)
    if number == 0:
        raise FileRejected("empty file: no records")
    frame = pd.DataFrame.from_records(records).astype(object) if records else pd.DataFrame()
    frame = frame.where(frame.notna(), None)
    frame["_row"] = numbers
    return RawFile(frame, unparsed)


def _read_parquet(path: Path) -> RawFile:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise FileRejected(f"not a readable Parquet file: {exc}") from None
    frame = table.to_pandas()
    frame.columns = _header([str(c) for c in frame.columns])
    cells = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.map(lambda v: v.isoformat() if pd.notna(v) else None)
        else:
            text = series.map(_cell)
        cells[column] = text.astype(object)
    cells = cells.where(cells.notna(), None)
    cells["_row"] = range(1, len(cells) + 1)
    return RawFile(cells, [])
