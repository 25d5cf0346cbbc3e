"""Read one landing file into raw string cells, without losing a row or changing a value.

Every reader returns ``RawFile``: a frame of ``str | None`` cells with ``_row`` (the 1-based record number in
the file, header not counted) plus the records that could not be taken as they are (``unparsed``: not splittable into
fields, blank, duplicate JSON keys). A cell that is not a single value (a JSON object or list, a Parquet list, binary
that is not UTF-8 text) stays in the frame as :class:`NotAValue`, for the validator to quarantine naming its column.
A file that cannot be read at all raises ``FileRejected``.

Records are also counted without the parser that splits them (``records_seen``: CSV records by the csv module's own
record count, JSONL lines split on "\n" only, Parquet rows from the file's metadata), and the loader checks
records seen = loaded + quarantined: a reader that loses a record cannot make its own count agree.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".parquet")


class FileRejected(Exception):
    """The whole file is unreadable; the message says why."""


@dataclass
class RawFile:
    frame: pd.DataFrame  # object cells (str or None) plus int column _row
    unparsed: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw text)
    records_seen: int | None = None  # counted independently of the field parser (None: same as rows_in)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.unparsed)


class NotAValue:
    """A cell that is not a single value (a JSON object or list, a Parquet list, binary that is not text): kept in the
    frame so the validator quarantines its row naming the column, when the column is one the contract loads."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"<{self.reason}>"


def read_landing_file(path: Path) -> RawFile:
    try:
        return _read(path)
    except OSError as exc:
        raise FileRejected(f"cannot be read: {exc.strerror or exc}") from None


def _read(path: Path) -> RawFile:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise FileRejected(f"unsupported file type {suffix!r}: expected one of {', '.join(SUPPORTED_SUFFIXES)}")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    head = raw[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) >= 16 and head.count(0) > len(head) // 4):
        raise FileRejected("UTF-16 (or another two-byte encoding): landing files must be UTF-8 text")
    # Invalid bytes become U+FFFD so the validator can quarantine exactly the rows that carry them.
    text = raw.decode("utf-8", errors="replace")
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
    while rows and not any(cell.strip() for cell in rows[0]):  # blank lines before the header
        rows.pop(0)
    if not rows:
        raise FileRejected("empty file: no header row")
    header = _header(rows[0])
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        raise FileRejected(f"the header is one column {header[0]!r}: fields must be separated by commas")
    good: list[list[str]] = []
    numbers: list[int] = []
    unparsed: list[tuple[int, str, str]] = []
    width = len(header)
    for number, row in enumerate(rows[1:], start=1):
        if not "".join(row).strip():  # no field has a value (one join and strip in C, not a generator per row)
            unparsed.append((number, "blank record: no field has a value", ",".join(row)))
            continue
        if len(row) != width:
            raw = ",".join(row)
            unparsed.append((number, f"row has {len(row)} fields but the header has {width}", raw))
            continue
        good.append(row)
        numbers.append(number)
    if good:  # one object array of the cells (every good row has the header's width), empty fields made None in place
        cells = np.array(good, dtype=object)
        cells[cells == ""] = None
        frame = pd.DataFrame(cells, columns=header, dtype=object, copy=False)
    else:
        frame = pd.DataFrame(good, columns=header, dtype=object)
    frame["_row"] = numbers
    # What the validator need not look for cell by cell (one scan of the text here instead of one per column there).
    frame.attrs.update(nul="\x00" in text, not_values=False, texts_only=True)
    return RawFile(frame, unparsed, records_seen=len(rows) - 1)


def _cell(value: object) -> object:
    """A value as text; None for a missing one; :class:`NotAValue` for anything that is not one value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return NotAValue("a JSON object, not a single value")
    if isinstance(value, (list, tuple, np.ndarray)):
        return NotAValue("a list, not a single value")
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return NotAValue("binary data that is not UTF-8 text")
    return str(value)


class _DuplicateKey(ValueError):
    pass


def _object_without_repeats(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise _DuplicateKey(f"key {repeated[0]!r} appears more than once in the record")
    return dict(pairs)


def _read_jsonl(path: Path) -> RawFile:
    records: list[dict[str, object]] = []
    numbers: list[int] = []
    unparsed: list[tuple[int, str, str]] = []
    # Records end at "\n" only: str.splitlines would also split inside a record at U+2028, U+2029, \x1c-\x1e, \x85.
    text = _decode(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last record
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            unparsed.append((number, "blank line: no record", line))
            continue
        try:
            record = json.loads(line, object_pairs_hook=_object_without_repeats)
        except _DuplicateKey as exc:
            unparsed.append((number, str(exc), line))
            continue
        except json.JSONDecodeError as exc:
            unparsed.append((number, f"not valid JSON: {exc.msg} at character {exc.pos}", line))
            continue
        if not isinstance(record, dict):
            unparsed.append((number, f"a JSON {type(record).__name__}, not an object", line))
            continue
        cells = {str(k).strip().lower(): _cell(v) for k, v in record.items()}
        if len(cells) < len(record):
            unparsed.append((number, "two keys name the same column once case and spaces are ignored", line))
            continue
        records.append(cells)
        numbers.append(number)
    # dtype object: pandas' default string dtype (Arrow) cannot hold a lone surrogate, which the validator must see
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame()
    frame = frame.where(frame.notna(), None)
    frame["_row"] = numbers
    frame.attrs.update(nul="\x00" in text or "\\u0000" in text,
                       not_values=any(isinstance(v, NotAValue) for record in records for v in record.values()))
    return RawFile(frame, unparsed, records_seen=len(lines))


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
    try:
        seen = pq.ParquetFile(path).metadata.num_rows
    except Exception:  # read above, so the footer is fine; never let the count itself fail the file
        seen = None
    return RawFile(cells, [], records_seen=seen)
