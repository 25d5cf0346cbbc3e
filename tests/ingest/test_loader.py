"""Ingest contracts: every kind of bad row is quarantined with file, row, column, value and reason;
rows in = rows loaded + rows quarantined; reloading a date is idempotent."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import make_settings
from trust.db.engine import dispose_engines, read_table, session_scope
from trust.db.tables import IngestLog, Listing, Merchant, QuarantineRow, Review
from trust.ingest.contracts import ENTITY_ORDER
from trust.ingest.loader import MissingLandingData, ingest_partition
from trust.pipeline import prepare_warehouse

DAY = dt.date(2026, 11, 20)
MERCHANTS = """merchant_id,name,shop_type,category,city,registered_at,deposit,verified
M1,廣州優品店,individual,美妆护肤,广州,2025-01-01T10:00:00+08:00,2000,true
M2,Ｓｈｏｐ２,brand_store,箱包,上海,2024-05-01T10:00:00,50000,false
"""
LISTINGS = """listing_id,merchant_id,title,description,brand,category,price,listed_at
L1,M1,精华液 正品,,,美妆护肤,199,2026-11-01T09:00:00
L2,M2,單肩包,,Coach,箱包,1999,2026-11-02T09:00:00
"""
HEADERS = {
    "orders": "order_id,merchant_id,listing_id,buyer_id,amount,quantity,status,refund_reason,shipped_late,ordered_at\n",
    "reviews": "review_id,merchant_id,listing_id,order_id,reviewer_id,reviewer_registered_at,rating,text,created_at\n",
    "complaints": "complaint_id,merchant_id,order_id,listing_id,buyer_id,text,status,created_at\n",
    "spot_checks": "check_id,listing_id,merchant_id,result,notes,checked_at\n",
    "agent_links": "link_id,recruiter_id,recruit_id,entry_fee,joined_at\n",
    "moderation_labels": "label_id,entity_type,entity_id,label,analyst,note,decided_at\n",
}


def write(landing: Path, entity: str, text: str | bytes, name: str = "part-000.csv") -> Path:
    folder = landing / entity / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.fixture
def landing(tmp_path) -> Path:
    root = tmp_path / "landing"
    write(root, "merchants", MERCHANTS)
    write(root, "listings", LISTINGS)
    for entity, header in HEADERS.items():
        write(root, entity, header)
    return root


@pytest.fixture
def local_settings(tmp_path, landing):
    settings = make_settings(tmp_path / "var", landing)
    prepare_warehouse(settings)
    yield settings
    dispose_engines()


def quarantine(settings, entity: str) -> pd.DataFrame:
    with session_scope(settings.db_url) as session:
        return read_table(session, QuarantineRow, QuarantineRow.entity == entity).sort_values("row_number", ignore_index=True)


def test_good_rows_load_with_text_normalised(local_settings):
    result = ingest_partition(local_settings, DAY)
    assert result.totals()["merchants"]["rows_loaded"] == 2
    with session_scope(local_settings.db_url) as session:
        names = dict(session.execute(select(Merchant.merchant_id, Merchant.name)).all())
        titles = dict(session.execute(select(Listing.listing_id, Listing.title)).all())
    assert names == {"M1": "广州优品店", "M2": "Shop2"}  # traditional → simplified, full-width → half-width
    assert titles["L2"] == "单肩包"


def test_every_kind_of_bad_review_is_quarantined_with_its_reason(local_settings, landing):
    write(landing, "reviews", HEADERS["reviews"] + "\n".join([
        "R1,M1,L1,,U1,2025-01-01T00:00:00,5,很好用,2026-11-20T10:00:00",     # good
        "R2,M1,L1,,U2,,6,不错,2026-11-20T10:00:00",                          # rating above range
        "R3,M9,L1,,U3,,5,不错,2026-11-20T10:00:00",                          # unknown merchant
        "R4,M1,L1,,U4,,5,不错,2027-01-01T10:00:00",                          # in the future
        "R5,M1,L1,,U5,,five,不错,2026-11-20T10:00:00",                       # not a number
        "R1,M1,L1,,U6,,5,重复,2026-11-20T10:00:00",                          # duplicate id
        "R7,M1,L1,,U7,,5,,2026-11-20T10:00:00",                              # required text missing
        "R8,M1,L1,,U8,,5,不错,yesterday",                                    # not a timestamp
        "R9,M1,L1,,U9,,5,too,many,fields",                                   # wrong field count
        "R10,M1,L404,,U10,,4,不错,2026-11-20T10:00:00",                      # unknown listing
        "R11,M1,L1,,U11,,4.5,不错,2026-11-20T10:00:00",                      # not a whole number
    ]) + "\n")
    result = ingest_partition(local_settings, DAY)
    reviews = [f for f in result.files if f.entity == "reviews"][0]
    assert (reviews.rows_in, reviews.rows_loaded, reviews.rows_quarantined) == (11, 1, 10)
    bad = quarantine(local_settings, "reviews")
    by_row = {int(r.row_number): r for r in bad.itertuples()}
    assert by_row[2].column_name == "rating" and by_row[2].value == "6" and "above the maximum 5" in by_row[2].reason
    assert by_row[3].column_name == "merchant_id" and "names no known merchant" in by_row[3].reason
    assert "after the business date 2026-11-20" in by_row[4].reason
    assert "is not a number" in by_row[5].reason
    assert by_row[6].column_name == "review_id" and "duplicate id: also at row 1" in by_row[6].reason
    assert by_row[7].column_name == "text" and "required value is missing" in by_row[7].reason
    assert "is not a timestamp" in by_row[8].reason
    assert "row has 10 fields but the header has 9" in by_row[9].reason and by_row[9].raw_record
    assert "names no known listing" in by_row[10].reason
    assert "is not a whole number" in by_row[11].reason
    assert set(bad["source_file"]) == {"reviews/2026-11-20/part-000.csv"}
    assert json.loads(by_row[2].raw_record)["review_id"] == "R2"  # nothing is lost: the whole record is kept


def test_enum_bool_and_undecodable_text_are_quarantined(local_settings, landing):
    rows = (HEADERS["orders"] + "O1,M1,L1,B1,10,1,shipped,,false,2026-11-20T09:00:00\n"
            + "O2,M1,L1,B1,10,1,completed,,maybe,2026-11-20T09:00:00\n").encode()
    write(landing, "orders", rows)
    write(landing, "complaints", HEADERS["complaints"].encode() + b"C1,M1,,,B1,\xff\xfe bad bytes,open,2026-11-20T09:00:00\n")
    ingest_partition(local_settings, DAY)
    orders = quarantine(local_settings, "orders")
    assert "is not one of: completed" in orders.loc[0, "reason"] and orders.loc[0, "value"] == "shipped"
    assert "is not a yes/no value" in orders.loc[1, "reason"]
    complaints = quarantine(local_settings, "complaints")
    assert complaints.loc[0, "column_name"] == "text" and "undecodable text" in complaints.loc[0, "reason"]


def test_duplicate_ids_across_files_of_the_same_day(local_settings, landing):
    write(landing, "listings", LISTINGS.splitlines()[0] + "\nL1,M1,另一个标题,,,美妆护肤,99,2026-11-20T09:00:00\n", name="part-001.csv")
    ingest_partition(local_settings, DAY)
    bad = quarantine(local_settings, "listings")
    assert bad.loc[0, "reason"] == "listing_id: duplicate id: already loaded from listings/2026-11-20/part-000.csv"


def test_unreadable_file_is_quarantined_whole_and_the_other_files_still_load(local_settings, landing):
    write(landing, "reviews", b"PAR1 this is not parquet", name="part-001.parquet")
    write(landing, "reviews", HEADERS["reviews"] + "R1,M1,L1,,U1,,5,好,2026-11-20T10:00:00\n")
    result = ingest_partition(local_settings, DAY)
    statuses = {f.source_file: f.status for f in result.files if f.entity == "reviews"}
    assert statuses == {"reviews/2026-11-20/part-000.csv": "loaded", "reviews/2026-11-20/part-001.parquet": "file_rejected"}
    bad = quarantine(local_settings, "reviews")
    assert bad.loc[0, "row_number"] is None or pd.isna(bad.loc[0, "row_number"])
    assert bad.loc[0, "reason"].startswith("file rejected: not a readable Parquet file")
    with session_scope(local_settings.db_url) as session:
        assert session.execute(select(func.count()).select_from(Review)).scalar_one() == 1


def test_a_file_missing_a_required_column_quarantines_every_row(local_settings, landing):
    write(landing, "reviews", "review_id,merchant_id,reviewer_id,rating,created_at\nR1,M1,U1,5,2026-11-20T10:00:00\n")
    result = ingest_partition(local_settings, DAY)
    reviews = [f for f in result.files if f.entity == "reviews"][0]
    assert (reviews.rows_in, reviews.rows_loaded, reviews.rows_quarantined) == (1, 0, 1)
    assert "file has no column 'text'" in quarantine(local_settings, "reviews").loc[0, "reason"]


def test_jsonl_and_parquet_load_and_a_bad_json_line_is_quarantined(local_settings, landing):
    lines = [json.dumps({"review_id": "R1", "merchant_id": "M1", "reviewer_id": "U1", "rating": 5, "text": "好", "created_at": "2026-11-20T10:00:00"},
                        ensure_ascii=False), "{not json", "[1, 2]"]
    write(landing, "reviews", "\n".join(lines) + "\n", name="part-000.jsonl")
    (landing / "reviews" / DAY.isoformat() / "part-000.csv").unlink()
    pd.DataFrame({"complaint_id": ["C1"], "merchant_id": ["M2"], "buyer_id": ["B1"], "text": ["收到假貨"], "status": ["open"],
                  "created_at": [pd.Timestamp("2026-11-20 08:00:00")]}).to_parquet(landing / "complaints" / DAY.isoformat() / "part-001.parquet")
    result = ingest_partition(local_settings, DAY)
    totals = result.totals()
    assert totals["reviews"] == {"rows_in": 3, "rows_loaded": 1, "rows_quarantined": 2, "files_rejected": 0}
    assert totals["complaints"]["rows_loaded"] == 1
    reasons = list(quarantine(local_settings, "reviews")["reason"])
    assert reasons[0].startswith("not valid JSON") and reasons[1] == "a JSON list, not an object"


def test_a_missing_entity_fails_the_ingest_and_says_which(local_settings, landing):
    shutil.rmtree(landing / "spot_checks")
    with pytest.raises(MissingLandingData, match="no landing file for spot_checks on business date 2026-11-20"):
        ingest_partition(local_settings, DAY)
    with session_scope(local_settings.db_url) as session:
        assert session.execute(select(func.count()).select_from(Merchant)).scalar_one() == 0  # nothing half-loaded


def test_reloading_a_date_is_idempotent(local_settings, landing):
    write(landing, "reviews", HEADERS["reviews"] + "R1,M1,L1,,U1,,5,好,2026-11-20T10:00:00\nR2,M1,L1,,U2,,9,好,2026-11-20T10:00:00\n")
    ingest_partition(local_settings, DAY)
    ingest_partition(local_settings, DAY)
    with session_scope(local_settings.db_url) as session:
        assert session.execute(select(func.count()).select_from(Review)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(QuarantineRow)).scalar_one() == 1
        log = read_table(session, IngestLog)
    assert len(log) == len(ENTITY_ORDER) and (log["rows_in"] == log["rows_loaded"] + log["rows_quarantined"]).all()


def test_generated_marketplace_accounts_for_every_row(settings, marketplace):
    prepare_warehouse(settings)
    result = ingest_partition(settings, dt.date(2026, 10, 1))
    for file in result.files:
        assert file.rows_in == file.rows_loaded + file.rows_quarantined
    assert sum(f.rows_quarantined for f in result.files) > 0  # the generator planted broken rows


def test_recruitment_links_that_would_break_the_forest_are_quarantined(local_settings, landing):
    write(landing, "agent_links", HEADERS["agent_links"] + "K1,M1,M2,3980,2026-11-20T09:00:00\n"
          + "K2,M2,M2,3980,2026-11-20T09:00:00\nK3,M2,M1,980,2026-11-20T09:00:00\nK4,M1,M2,3980,2026-11-20T09:00:00\n")
    result = ingest_partition(local_settings, DAY)
    links = [f for f in result.files if f.entity == "agent_links"][0]
    assert (links.rows_in, links.rows_loaded, links.rows_quarantined) == (4, 1, 3)
    reasons = list(quarantine(local_settings, "agent_links")["reason"])
    assert reasons == ["recruit_id: an agent cannot recruit itself",
                       "recruit_id: would close a recruitment cycle: M1 is already above M2",
                       "recruit_id: agent M2 is recruited again (first at row 1)"]


def test_references_are_looked_up_by_the_ids_a_file_names_never_by_reading_the_whole_table(local_settings, landing):
    from sqlalchemy import event

    from trust.db.engine import get_engine

    ingest_partition(local_settings, DAY)  # M1, M2, L1, L2
    later = DAY + dt.timedelta(days=1)
    for entity, text in {"merchants": MERCHANTS.splitlines()[0] + "\nM3,新店,individual,食品,,2026-11-21T08:00:00,0,false\n",
                         "listings": LISTINGS.splitlines()[0] + "\nL3,M3,茶叶,,,食品,88,2026-11-21T09:00:00\n",
                         **HEADERS}.items():
        folder = landing / entity / later.isoformat()
        folder.mkdir(parents=True)
        (folder / "part-000.csv").write_text(text if entity != "reviews" else text + "\n".join([
            "R1,M1,L1,,U1,,5,earlier day's merchant and listing,2026-11-21T10:00:00",
            "R2,M3,L3,,U2,,5,today's merchant and listing,2026-11-21T10:00:00",
            "R3, M2 ,L2,,U3,,5,spaces around the id,2026-11-21T10:00:00",
            "R4,M9,L1,,U4,,5,unknown merchant,2026-11-21T10:00:00",
            "R5,M1,L9,,U5,,5,unknown listing,2026-11-21T10:00:00",
        ]) + "\n", encoding="utf-8")
    statements: list[str] = []
    record = lambda conn, cursor, statement, *args: statements.append(" ".join(statement.split()))  # noqa: E731
    engine = get_engine(local_settings.db_url)
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = ingest_partition(local_settings, later)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    reviews = [f for f in result.files if f.entity == "reviews"][0]
    assert (reviews.rows_loaded, reviews.rows_quarantined) == (3, 2)
    bad = quarantine(local_settings, "reviews")
    assert [(r.row_number, r.column_name) for r in bad.itertuples()] == [(4, "merchant_id"), (5, "listing_id")]
    reads = [s for s in statements if s.startswith("SELECT") and any(f"FROM {t} " in s + " " for t in ("merchants", "listings"))]
    assert reads and all(" WHERE " in s for s in reads), reads
