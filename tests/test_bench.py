"""``trust bench``'s floor for ingest: the day's loaded rows written again alone leave the warehouse as the ingest left it
(issue 21: the figure says how fast ingest could be on the machine, so it must write exactly what ingest wrote)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.conftest import make_settings
from trust import pipeline
from trust.bench import loaded_rows, remove_loaded_rows, write_loaded_rows
from trust.db.engine import dispose_engines, read_frame, session_scope
from trust.db.tables import INPUT_TABLES, IngestLog


def day_rows(settings, day: dt.date) -> dict[str, list]:
    with session_scope(settings.db_url) as session:
        return {name: sorted(map(tuple, read_frame(session, select(*table.__table__.columns)
                                                    .where(table.business_date == day)).astype(str).to_numpy().tolist()))
                for name, table in INPUT_TABLES.items()}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_ingest_floor_writes_back_exactly_the_rows_the_ingest_loaded(database, tmp_path, marketplace, last_day, request):
    url = None if database == "sqlite" else request.getfixturevalue("postgres_url")
    settings = make_settings(tmp_path / "var", marketplace / "landing", url)
    first = last_day - dt.timedelta(days=1)
    pipeline.run_ingest(settings, first)
    pipeline.run_ingest(settings, last_day)
    before, earlier = day_rows(settings, last_day), day_rows(settings, first)
    with session_scope(settings.db_url) as session:
        new_rows = session.scalar(select(func.sum(IngestLog.rows_loaded)).where(IngestLog.business_date == last_day))
    frames = loaded_rows(settings, last_day)
    assert "text_hash" not in frames[INPUT_TABLES["reviews"]].columns  # derived again on the way in, as ingest derives it
    remove_loaded_rows(settings, last_day)
    assert not any(day_rows(settings, last_day).values())
    written = write_loaded_rows(settings, frames)
    assert day_rows(settings, last_day) == before and day_rows(settings, first) == earlier
    # Every row the day's ingest put in (a merchant snapshot repeated unchanged counts as loaded but is not written again).
    assert 0 < written <= new_rows and written == sum(len(rows) for rows in before.values())
    dispose_engines()
