"""Hostile landing files: every record is loaded or quarantined with its reason, counted without the parser that
splits it, and no value is changed on the way in (issue 15, the reader's part)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.ingest.test_loader import DAY, HEADERS, landing, local_settings, quarantine, write  # noqa: F401 (fixtures)
from trust.db.engine import dispose_engines, read_table, session_scope
from trust.db.tables import IngestLog, Order, QuarantineRow, Review
from trust.ingest.loader import ingest_partition
from trust.pipeline import prepare_warehouse

REVIEW = {"review_id": "R1", "merchant_id": "M1", "listing_id": "L1", "reviewer_id": "U1", "rating": 5, "text": "好",
          "created_at": "2026-11-20T10:00:00"}


def jsonl(landing, *records: str) -> None:
    write(landing, "reviews", "\n".join(records) + "\n", name="part-000.jsonl")
    (landing / "reviews" / DAY.isoformat() / "part-000.csv").unlink()


def reviews_file(result):
    return [f for f in result.files if f.entity == "reviews"][0]


def loaded_reviews(settings) -> pd.DataFrame:
    with session_scope(settings.db_url) as session:
        return read_table(session, Review)


def test_an_all_empty_csv_row_is_quarantined_not_dropped(local_settings, landing):
    write(landing, "reviews", HEADERS["reviews"] + ",,,,,,,,\n" + "R1,M1,L1,,U1,,5,好,2026-11-20T10:00:00\n")
    file = reviews_file(ingest_partition(local_settings, DAY))
    assert (file.rows_in, file.rows_loaded, file.rows_quarantined) == (2, 1, 1)
    assert quarantine(local_settings, "reviews").loc[0, "reason"] == "blank record: no field has a value"


def test_a_line_separator_inside_a_jsonl_record_stays_inside_it(local_settings, landing):
    jsonl(landing, json.dumps({**REVIEW, "text": "第一行\u2028第二行"}, ensure_ascii=False))
    file = reviews_file(ingest_partition(local_settings, DAY))
    assert (file.rows_in, file.rows_loaded) == (1, 1)
    assert loaded_reviews(local_settings).loc[0, "text"] == "第一行 第二行"  # one record; whitespace folds as any does


def test_a_record_with_a_repeated_key_an_object_or_a_list_is_quarantined_naming_it(local_settings, landing):
    jsonl(landing, '{"review_id": "R1", "rating": 5, "rating": 1, "merchant_id": "M1", "reviewer_id": "U1", "text": "x", '
                   '"created_at": "2026-11-20T10:00:00"}',
          json.dumps({**REVIEW, "review_id": "R2", "text": {"zh": "好"}}),
          json.dumps({**REVIEW, "review_id": "R3", "text": ["好", "很好"]}),
          json.dumps({**REVIEW, "review_id": "R4"}), "")
    file = reviews_file(ingest_partition(local_settings, DAY))
    assert (file.rows_in, file.rows_loaded, file.rows_quarantined) == (5, 1, 4)
    reasons = list(quarantine(local_settings, "reviews")["reason"])
    assert reasons == ["key 'rating' appears more than once in the record", "text: a JSON object, not a single value",
                       "text: a list, not a single value", "blank line: no record"]


def test_parquet_text_stored_as_binary_is_read_as_text_and_lists_are_quarantined(local_settings, landing):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = landing / "reviews" / DAY.isoformat()
    (folder / "part-000.csv").unlink()
    table = pa.table({"review_id": ["R1", "R2", "R3"], "merchant_id": ["M1"] * 3, "reviewer_id": ["U1", "U2", "U3"],
                      "rating": [5, 4, 3], "created_at": ["2026-11-20T10:00:00"] * 3,
                      "text": pa.array(["很好".encode(), b"\xff\xfe bad", "一般".encode()], type=pa.binary()),
                      "listing_id": pa.array([None, None, None], type=pa.string())})
    tags = pa.array([[], ["a", "b"], []], type=pa.list_(pa.string()))
    pq.write_table(table.append_column("tags", tags), folder / "part-000.parquet")
    file = reviews_file(ingest_partition(local_settings, DAY))
    assert (file.rows_in, file.rows_loaded, file.rows_quarantined) == (3, 2, 1)
    assert loaded_reviews(local_settings)["text"].tolist() == ["很好", "一般"]  # lists in a column the contract lacks
    bad = quarantine(local_settings, "reviews").iloc[0]
    assert (bad["row_number"], bad["column_name"], bad["reason"]) == (2, "text", "text: binary data that is not UTF-8 text")
    with session_scope(local_settings.db_url) as session:
        notes = read_table(session, IngestLog, IngestLog.entity == "reviews").iloc[0]["notes"]
    assert "column(s) tags not in the reviews contract: not loaded" in notes


def test_a_partial_date_is_refused_and_an_hour_offset_is_understood(local_settings, landing):
    write(landing, "reviews", HEADERS["reviews"] + "R1,M1,L1,,U1,,5,好,2026-11\n"
          + "R2,M1,L1,,U2,,5,好,2026-11-20T10:00:00+08\nR3,M1,L1,,U3,,5,好,2026-11-20T02:00:00Z\n"
          + "R4,M1,L1,,U4,,5,好,20261120\n")
    file = reviews_file(ingest_partition(local_settings, DAY))
    assert (file.rows_loaded, file.rows_quarantined) == (2, 2)
    times = loaded_reviews(local_settings).set_index("review_id")["created_at"]
    assert times["R2"] == times["R3"] == pd.Timestamp("2026-11-20 10:00:00")  # both are 10:00 in Asia/Shanghai
    assert set(quarantine(local_settings, "reviews")["value"]) == {"2026-11", "20261120"}


def test_a_nul_byte_is_quarantined_naming_its_column_never_stripped(local_settings, landing):
    write(landing, "reviews", HEADERS["reviews"] + "R1,M1,L1,,U1,,5,好\x00评,2026-11-20T10:00:00\n")
    file = reviews_file(ingest_partition(local_settings, DAY))
    assert (file.rows_loaded, file.rows_quarantined) == (0, 1)
    bad = quarantine(local_settings, "reviews").iloc[0]
    assert (bad["column_name"], bad["reason"]) == ("text", "text: contains a NUL character (U+0000)")
    assert "\x00" not in bad["value"]  # stored as an escape


def test_an_optional_column_missing_or_renamed_is_a_recorded_decision(local_settings, landing):
    write(landing, "orders", "order_id,merchant_id,listing_id,buyer_id,amount,quantity,status,reason_for_refund,shipped_late,ordered_at\n"
          "O1,M1,L1,B1,99,1,completed,,false,2026-11-20T09:00:00\n")
    ingest_partition(local_settings, DAY)
    with session_scope(local_settings.db_url) as session:
        log = read_table(session, IngestLog, IngestLog.entity == "orders").iloc[0]
        assert session.get(Order, "O1") is not None
    assert log["notes"] == ("optional column(s) refund_reason absent from the file: loaded empty for every row; "
                            "column(s) reason_for_refund not in the orders contract: not loaded")


def test_an_empty_jsonl_file_is_no_records_and_a_semicolon_csv_is_refused_by_name(local_settings, landing):
    jsonl(landing)
    (landing / "reviews" / DAY.isoformat() / "part-000.jsonl").write_text("")
    write(landing, "complaints", "complaint_id;merchant_id;text\nC1;M1;假货\n")
    result = ingest_partition(local_settings, DAY)
    assert (reviews_file(result).status, reviews_file(result).rows_in) == ("loaded", 0)
    complaints = [f for f in result.files if f.entity == "complaints"][0]
    assert complaints.status == "file_rejected"
    assert "fields must be separated by commas" in complaints.first_problems[0]


def test_on_postgresql_nul_bytes_and_lone_surrogates_are_quarantined_not_a_crash(tmp_path, landing, postgres_url):
    settings = make_settings(tmp_path / "var", landing, postgres_url)
    prepare_warehouse(settings)
    jsonl(landing, json.dumps({**REVIEW, "text": "好\u0000评"}), json.dumps({**REVIEW, "review_id": "R2", "text": "\ud800"}),
          json.dumps({**REVIEW, "review_id": "R3", "rating": "\ud800"}), json.dumps({**REVIEW, "review_id": "R4"}))
    file = reviews_file(ingest_partition(settings, DAY))
    assert (file.rows_in, file.rows_loaded, file.rows_quarantined) == (4, 1, 3)
    reasons = quarantine(settings, "reviews")["reason"].tolist()
    assert reasons[0] == "text: contains a NUL character (U+0000)" and "undecodable" in reasons[1]
    assert "rating" in reasons[2]
    dispose_engines()


def test_every_entry_of_a_landing_folder_is_accounted_for(local_settings, landing):
    folder = landing / "reviews" / DAY.isoformat()
    (folder / "part-001.csv").mkdir()
    (folder / "part-001.csv" / "inner.csv").write_text(HEADERS["reviews"] + "R9,M1,L1,,U9,,5,好,2026-11-20T10:00:00\n")
    (folder / "part-002.csv").symlink_to(folder / "part-000.csv")
    (folder / ".part-003.csv").write_text(HEADERS["reviews"])
    (folder / os.fsdecode(b"part-\xff.csv")).write_text(HEADERS["reviews"])  # a Latin-1 name on a UTF-8 system
    result = ingest_partition(local_settings, DAY)
    statuses = {f.source_file.rsplit("/", 1)[1]: (f.status, f.first_problems[0] if f.first_problems else "") for f in result.files
                if f.entity == "reviews"}
    assert statuses["part-000.csv"][0] == "loaded"
    assert statuses["part-001.csv"] == ("file_rejected", "reviews/2026-11-20/part-001.csv: file rejected: a directory, not a "
                                        "file: nothing inside it is read (move its files up into the date folder)")
    assert "a symbolic link" in statuses["part-002.csv"][1] and "a hidden file" in statuses[".part-003.csv"][1]
    assert "not UTF-8 text" in statuses["part-\\udcff.csv"][1]  # named by its escape, storable anywhere
    with session_scope(local_settings.db_url) as session:
        log = read_table(session, IngestLog, IngestLog.entity == "reviews")
    assert len(log) == 5 and (log["status"] == "file_rejected").sum() == 4


def history(settings, entity: str, rows: int, days: int = 5) -> None:
    """Earlier business dates on which ``entity`` loaded ``rows`` rows."""
    import datetime as dt

    with session_scope(settings.db_url) as session:
        for back in range(1, days + 1):
            session.add(IngestLog(business_date=DAY - dt.timedelta(days=back), entity=entity, source_file=f"{entity}/old.csv",
                                  status="loaded", rows_in=rows, rows_loaded=rows, rows_quarantined=0))


def test_a_header_only_delivery_on_a_busy_day_holds_the_day_unless_marked_nothing_today(local_settings, landing):
    from trust.db.tables import QualityCheck
    from trust.pipeline import run_quality_gate

    history(local_settings, "orders", 400)
    ingest_partition(local_settings, DAY)  # orders: the header alone
    run_quality_gate(local_settings, DAY)
    with session_scope(local_settings.db_url) as session:
        checks = read_table(session, QualityCheck, QualityCheck.business_date == DAY).set_index("check_name")
    assert not checks.loc["volume_orders", "passed"] and checks.loc["volume_orders", "observed"] == 0.0
    assert "0 orders rows against a typical 400" in checks.loc["volume_orders", "detail"]
    assert checks.loc["volume_reviews", "passed"]  # no history: nothing to judge by

    (landing / "orders" / DAY.isoformat() / "_NOTHING_TODAY").write_text("")
    ingest_partition(local_settings, DAY)
    run_quality_gate(local_settings, DAY)
    with session_scope(local_settings.db_url) as session:
        checks = read_table(session, QualityCheck, QualityCheck.business_date == DAY).set_index("check_name")
    assert checks.loc["volume_orders", "passed"] and "marked the day as having nothing new" in checks.loc["volume_orders", "detail"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_record_resent_on_a_later_day_is_a_conflict_and_the_first_delivery_stands(tmp_path, landing, database, request):
    import datetime as dt
    import shutil

    settings = make_settings(tmp_path / "var2", landing, request.getfixturevalue("postgres_url") if database == "postgresql" else None)
    prepare_warehouse(settings)
    later = DAY + dt.timedelta(days=3)
    write(landing, "orders", HEADERS["orders"] + "O1,M1,L1,B1,99,1,completed,,false,2026-11-20T09:00:00\n")
    ingest_partition(settings, DAY)
    for entity in HEADERS:
        (landing / entity / later.isoformat()).mkdir(parents=True)
        (landing / entity / later.isoformat() / "part-000.csv").write_text(HEADERS[entity])
    for entity in ("merchants", "listings"):
        shutil.copytree(landing / entity / DAY.isoformat(), landing / entity / later.isoformat(), dirs_exist_ok=True)
    (landing / "orders" / later.isoformat() / "part-000.csv").write_text(
        HEADERS["orders"] + "O1,M1,L1,B1,120,1,completed,,false,2026-11-20T09:00:00\n")
    result = ingest_partition(settings, later)
    orders = [f for f in result.files if f.entity == "orders"][0]
    assert (orders.rows_loaded, orders.rows_quarantined) == (0, 1)
    with session_scope(settings.db_url) as session:
        stored = session.get(Order, "O1")
        assert (stored.amount, stored.business_date) == (99.0, DAY)  # not changed, not moved
        bad = read_table(session, QuarantineRow, QuarantineRow.business_date == later).set_index("entity")
    assert bad.loc["orders", "reason"] == ("order_id: id already loaded on 2026-11-20 and this record differs (amount was 99.0, "
                                           "now 120.0): a record is never changed in place (send a correction under its own "
                                           "id, or re-deliver 2026-11-20)")
    assert "merchants" not in bad.index  # the daily snapshot of merchants, sent again unchanged, is accepted as it was
    merchants = [f for f in result.files if f.entity == "merchants"][0]
    assert (merchants.rows_loaded, merchants.rows_quarantined) == (2, 0)
    with session_scope(settings.db_url) as session:
        from trust.db.tables import Merchant

        assert {m.business_date for m in session.execute(select(Merchant)).scalars()} == {DAY}
        notes = read_table(session, IngestLog, IngestLog.business_date == later).set_index("entity").loc["merchants", "notes"]
    assert notes == "2 record(s) identical to ones loaded on earlier days: kept as first delivered"
    dispose_engines()


def test_re_delivering_a_day_replaces_exactly_that_days_delivery(local_settings, landing):
    write(landing, "reviews", HEADERS["reviews"] + "R1,M1,L1,,U1,,5,好,2026-11-20T10:00:00\nR2,M1,L1,,U2,,4,好,2026-11-20T10:00:00\n")
    ingest_partition(local_settings, DAY)
    write(landing, "reviews", HEADERS["reviews"] + "R2,M1,L1,,U2,,3,一般,2026-11-20T10:00:00\n")  # the corrected delivery
    ingest_partition(local_settings, DAY)
    reviews = loaded_reviews(local_settings)
    assert reviews["review_id"].tolist() == ["R2"] and reviews["rating"].tolist() == [3]
    assert quarantine(local_settings, "reviews").empty
