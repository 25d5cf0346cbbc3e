"""Reading a labelled or to-be-scored CSV given to a detector's file commands: every problem is an error that names
the file, and where it lies in a row, the row (as numbered in the file), the column and the value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


class InputFileError(ValueError):
    """A CSV of reviews, listings or complaints that cannot be used as it is; the message says where and why."""


def read_checked_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> pd.DataFrame:
    """A CSV read as text, with its required columns present and at least one row; otherwise a clear error. Column
    names are matched without regard to case or surrounding spaces (``Rating`` is ``rating``)."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text ({error})") from error
    except pd.errors.ParserError as error:
        raise InputFileError(f"{path}: not a readable CSV ({error})") from error
    known = {c.lower(): c for c in required + optional}
    frame = frame.rename(columns={c: known[c.strip().lower()] for c in frame.columns
                                  if c.strip().lower() in known and known[c.strip().lower()] not in frame.columns})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputFileError(f"{path}: missing required column(s) {', '.join(missing)}; found {', '.join(frame.columns) or 'no columns'}"
                              f" (required: {', '.join(required)}; optional: {', '.join(optional)})")
    if frame.empty:
        raise InputFileError(f"{path}: has a header but no rows")
    return frame


def reject_first(path: Path, frame: pd.DataFrame, bad: pd.Series, column: str, what: str) -> None:
    """Raise naming the first bad row (as numbered in the file, header = row 1), the column and the value."""
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(f"{path}: row {row + 2}, column {column}: {frame[column].iloc[row]!r} {what}")
