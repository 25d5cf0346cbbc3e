"""Reading as of a date: a failed transaction leaves nothing behind for the next reader."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from trust.db.engine import dispose_engines, insert_rows, reading_as_of, session_scope
from trust.db.migrate import upgrade_database
from trust.db.shard_key import shard_keys
from trust.db.tables import Merchant


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_failed_read_as_of_one_date_does_not_leak_into_the_next_date(database, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'w.db'}" if database == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade_database(url)
    with session_scope(url) as session:
        insert_rows(session, Merchant, [{"merchant_id": f"M{day}", "name": "店", "shop_type": "c2c", "category": "服饰",
                                         "city": None, "registered_at": dt.datetime(2026, 10, day), "deposit": 0.0,
                                         "verified": True, "business_date": dt.date(2026, 10, day)} for day in (1, 2, 3)])
    with reading_as_of(dt.date(2026, 10, 1)), pytest.raises(ZeroDivisionError):
        with session_scope(url) as session:
            assert session.execute(select(func.count()).select_from(Merchant)).scalar_one() == 1
            1 / 0  # a stage that fails while reading as of the 1st
    with reading_as_of(dt.date(2026, 10, 2)), session_scope(url) as session:
        assert session.execute(select(func.count()).select_from(Merchant)).scalar_one() == 2
    with session_scope(url) as session:  # and outside any date, the tables themselves
        assert session.execute(select(func.count()).select_from(Merchant)).scalar_one() == 3
        assert sorted(session.execute(select(Merchant.shard_key)).scalars()) == sorted(
            shard_keys(["M1", "M2", "M3"]))  # filled in by the bulk path
    dispose_engines()
