"""66 generated one-fault landing days (``tests/ingest/hostile_days.py``), each ingested into a fresh warehouse with a
week of normal history. For every day: no traceback; every entry of every landing folder is in ``ingest_log``; every
record, counted here without the project's readers, is loaded or quarantined; loaded values equal an independent
re-read of the file; and the quality gate holds the day exactly when an entry was rejected, a delivery collapsed or
too many records were quarantined (computed here, independently of the gate)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import make_settings
from tests.ingest.hostile_days import DAY, build, faults
from trust.db.engine import dispose_engines, read_table, session_scope
from trust.db.tables import IngestLog, Order, QualityCheck, Review
from trust.ingest.loader import ingest_partition
from trust.pipeline import prepare_warehouse, run_quality_gate

HISTORY_ROWS = 30  # orders and reviews a day in the week before


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> dict[str, tuple[Path, bool]]:
    return build(tmp_path_factory.mktemp("hostile"))


def test_there_are_at_least_sixty_fault_classes():
    assert len(faults()) >= 60


def _records(path: Path) -> int | None:
    """Records in a landing file, counted without the project's readers (None: not a file the loader reads)."""
    if path.is_symlink() or not path.is_file() or path.name.startswith(".") or os.fsencode(path.name) != path.name.encode("utf-8", "surrogateescape") \
            or path.suffix not in (".csv", ".jsonl", ".parquet"):
        return None
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:
            return None
    text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    if path.suffix == ".jsonl":
        lines = text.split("\n")
        return len(lines) - (lines[-1] == "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    return max(len(rows) - 1, 0)


def _source_values(path: Path, key: str, column: str) -> dict[str, str]:
    """key → column, read here from the file (records that do not parse cleanly are skipped)."""
    out: dict[str, str] = {}
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        records = frame.to_dict("records")
    elif path.suffix == ".jsonl":
        records = []
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    else:
        text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
        records = list(csv.DictReader(io.StringIO(text, newline="")))
    for record in records:
        if isinstance(record, dict) and isinstance(record.get(key), str) and record.get(column) not in (None, ""):
            out[record[key]] = str(record[column])
    return out


@pytest.mark.parametrize("name", list(faults()))
def test_a_one_fault_day_loses_nothing_changes_nothing_and_publishes_only_when_complete(name, days, tmp_path):
    root, must_hold = days[name]
    settings = make_settings(tmp_path / "var", root)
    prepare_warehouse(settings)
    with session_scope(settings.db_url) as session:
        for back in range(1, 8):
            for entity in ("orders", "reviews"):
                session.add(IngestLog(business_date=DAY - dt.timedelta(days=back), entity=entity, source_file=f"{entity}/x.csv",
                                      status="loaded", rows_in=HISTORY_ROWS, rows_loaded=HISTORY_ROWS, rows_quarantined=0))
    ingest_partition(settings, DAY)  # no traceback, whatever the fault
    run_quality_gate(settings, DAY)
    with session_scope(settings.db_url) as session:
        log = read_table(session, IngestLog, IngestLog.business_date == DAY)
        checks = read_table(session, QualityCheck, QualityCheck.business_date == DAY).set_index("check_name")
        orders = {o.order_id: o for o in session.query(Order).all()}
        reviews = {r.review_id: r for r in session.query(Review).all()}
    dispose_engines()

    rejected = loaded_short = over_quarantined = False
    for entity_folder in sorted(p for p in root.iterdir() if p.is_dir()):
        folder = entity_folder / DAY.isoformat()
        entries = log[log["entity"] == entity_folder.name]
        assert len(entries) == len(list(folder.iterdir())), f"{entity_folder.name}: an entry of the folder is not in ingest_log"
        total = quarantined = loaded = 0
        for path in folder.iterdir():
            expected = _records(path)
            row = entries[entries["source_file"].str.endswith(path.name.encode("utf-8", "backslashreplace").decode())]
            assert len(row) == 1, f"{path.name}: not exactly one ingest_log row"
            row = row.iloc[0]
            if row["status"] == "file_rejected":
                rejected = True
                continue
            assert expected is not None, f"{path.name}: loaded, though it is not a landing file"
            assert row["rows_loaded"] + row["rows_quarantined"] == expected, f"{path.name}: records unaccounted for"
            total, quarantined, loaded = total + expected, quarantined + row["rows_quarantined"], loaded + row["rows_loaded"]
            for table, key, column, attribute in ((orders, "order_id", "amount", "amount"), (reviews, "review_id", "rating", "rating")):
                if entity_folder.name == key.split("_")[0] + "s":
                    for record_id, value in _source_values(path, key, column).items():
                        if record_id in table:  # loaded: the stored value is the file's, not a coerced one
                            assert float(getattr(table[record_id], attribute)) == float(value), f"{record_id}.{column} changed"
        if entity_folder.name in ("orders", "reviews") and loaded < 0.2 * HISTORY_ROWS:
            loaded_short = True
        if total and quarantined / total > 0.05 and quarantined >= 3:  # thresholds.toml: max_quarantine_rate, quarantine_min_rows
            over_quarantined = True
    expected_held = rejected or loaded_short or over_quarantined
    assert not must_hold or expected_held  # the generator's own verdict agrees
    failed = checks[~checks["passed"].astype(bool)].index
    gate_holds = any(c.startswith(("no_rejected_files", "volume_", "quarantine_rate_")) for c in failed)
    assert gate_holds == expected_held, f"gate failed {list(failed)}; expected held: {expected_held}"


def test_one_bad_row_in_a_small_delivery_is_quarantined_without_holding_the_day_but_three_are_judged(tmp_path):
    settings = make_settings(tmp_path / "var", tmp_path / "landing")
    prepare_warehouse(settings)
    with session_scope(settings.db_url) as session:
        for entity, rows_in, quarantined in (("spot_checks", 5, 1), ("orders", 40, 3), ("reviews", 400, 2)):
            session.add(IngestLog(business_date=DAY, entity=entity, source_file=f"{entity}/part-000.csv", status="loaded",
                                  rows_in=rows_in, rows_loaded=rows_in - quarantined, rows_quarantined=quarantined))
    run_quality_gate(settings, DAY)
    with session_scope(settings.db_url) as session:
        checks = read_table(session, QualityCheck, QualityCheck.business_date == DAY).set_index("check_name")
    dispose_engines()
    assert bool(checks.loc["quarantine_rate_spot_checks", "passed"])  # 20%, but a single row: it is quarantined, named
    assert "judged from 3 rows" in checks.loc["quarantine_rate_spot_checks", "detail"]
    assert not bool(checks.loc["quarantine_rate_orders", "passed"])  # 7.5% from three rows: a broken delivery
    assert bool(checks.loc["quarantine_rate_reviews", "passed"])  # 0.5%
