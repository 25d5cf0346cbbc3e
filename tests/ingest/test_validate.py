"""The validator's column-at-once checks say exactly what the cell-by-cell ones said."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from trust.ingest.contracts import CONTRACTS
from trust.ingest.validate import _undecodable, validate
from trust.text import is_decodable

CELLS = ["质量很好", "ok", None, "bad \ufffd byte", "lone \ud800 surrogate", "", "全角ＡＢＣ", "\udfff", "fine"]


@pytest.mark.parametrize("cells", [CELLS, [c for c in CELLS if c is None or is_decodable(c)], [None, None], []])
def test_undecodable_text_is_found_column_at_once_as_cell_by_cell(cells):
    column = pd.Series(cells, dtype=object)
    expected = [isinstance(v, str) and not is_decodable(v) for v in cells]
    assert _undecodable(column).tolist() == expected


def test_a_review_file_with_every_kind_of_bad_cell_names_each_one():
    raw = pd.DataFrame({
        "review_id": ["R1", "R2", "R3", "R4", "R5", "R1"],
        "merchant_id": ["M1", "M9", "M1", "M1", "M1", "M1"],
        "listing_id": [None, None, "L9", None, None, None],
        "order_id": [None] * 6,
        "reviewer_id": ["U1", "U2", "U3", " ", "U5", "U6"],
        "reviewer_registered_at": [None] * 6,
        "rating": ["5", "4", "six", "3", "2.5", "1"],
        "text": ["好", "ok", "x\ud800", "fine", "fine", "dup"],
        "created_at": ["2026-10-30T10:00:00+08:00", "2026-10-30 09:00", "2026-10", "2026-11-02T00:00:00", "2026-10-30", "2026-10-30"],
        "_row": [1, 2, 3, 4, 5, 6],
    }, dtype=object)
    checked = validate(raw, CONTRACTS["reviews"], dt.date(2026, 10, 30), ZoneInfo("Asia/Shanghai"),
                       {"merchants": {"M1"}, "listings": {"L1"}})
    assert checked.good["review_id"].tolist() == ["R1"]
    problems = {(r.column, r.reason) for r in checked.bad.itertuples()}
    assert ("merchant_id", "names no known merchant") in problems
    assert ("listing_id", "names no known listing") in problems
    assert ("rating", "is not a number") in problems and ("rating", "is not a whole number") in problems
    assert ("text", "undecodable text (invalid UTF-8 bytes)") in problems
    assert ("reviewer_id", "required value is missing") in problems
    assert any(column == "created_at" and reason.startswith("is not a timestamp") for column, reason in problems)
    assert any(column == "created_at" and "after the business date" in reason for column, reason in problems)
    assert ("review_id", "duplicate id: also at row 1") in problems


STAMPS = ["2026-10-30T10:00:00", "2026-10-30T10:00:00+08:00", "2026-10-30T10:00:00-05:30", "2026-10-30 10:00:00",
          "2026-10-30T10:00:00Z", "2026-10-30", "2026-10", "20261030", "2026-10-30T10:00:00.5", "２０２６-10-30T10:00:00",
          "2026-10-30T10:00:00\n2026-10-30T11:00:00", "2026-10-30T10:00:00+08:00\n2026-10-30T10:00:00", "not a time",
          "2026-13-40T10:00:00", "2026-10-30T25:00:00+08:00", "2026-10-30T10:00:00+0800"]


@pytest.mark.parametrize("column", [STAMPS, STAMPS[:1] * 3 + [None], STAMPS[1:3] * 2, [STAMPS[0], STAMPS[10]],
                                    [STAMPS[13], STAMPS[0]], [STAMPS[14], STAMPS[1]], [None, None], STAMPS[9:10]])
def test_timestamps_of_one_plain_shape_parse_as_they_parse_one_by_one(column, monkeypatch):
    """A column of timestamps all of one plain shape skips the test per cell (full date? offset?) and parses to exactly
    what the cell by cell tests give; any other column is tested cell by cell."""
    from trust.ingest import validate as module

    cells = pd.Series(column, dtype=object)
    present = cells.notna()
    tz = ZoneInfo("Asia/Shanghai")
    fast = module._parse_timestamps(cells, present, tz)
    monkeypatch.setattr(module, "_uniform_offsets", lambda texts: None)
    slow = module._parse_timestamps(cells, present, tz)
    pd.testing.assert_series_equal(fast, slow)


def test_enum_and_flag_cells_convert_per_distinct_value_as_they_convert_one_by_one():
    from trust.ingest.validate import _distinct_texts, _texts, _yes_no

    cells = pd.Series(["Completed", "completed", None, "是", "YES", "no", "maybe", "True", " t", "否"] * 3, dtype=object)
    for function in (lambda v: v.lower() if isinstance(v, str) else v, _yes_no):
        assert _distinct_texts(cells, function).tolist() == _texts(cells, function).tolist()
    assert _distinct_texts(cells, _yes_no).tolist()[:10] == [None, None, None, True, True, False, None, True, None, False]
