"""One run of a business date at a time: a second run is refused naming the first, on SQLite and PostgreSQL, and a
killed run leaves nothing that blocks the next one."""

import datetime as dt
import multiprocessing
import subprocess
import sys

import pytest

from tests.conftest import make_settings
from trust.db.engine import dispose_engines
from trust.db.locks import DateBusy, date_lock
from trust.pipeline import prepare_warehouse

DAY = dt.date(2026, 11, 20)


def _hold_then_wait(db_url: str, ready, release) -> None:
    with date_lock(db_url, DAY, "run"):
        ready.set()
        release.wait(30)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url = make_settings(tmp_path / "var", tmp_path / "landing").db_url
    else:
        url = request.getfixturevalue("postgres_url")
    prepare_warehouse(make_settings(tmp_path / "var", tmp_path / "landing", url))
    yield url
    dispose_engines()


def test_a_second_run_of_the_same_date_is_refused_naming_the_first_and_other_dates_go_on(db_url):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_then_wait, args=(db_url, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(DateBusy, match=r"date 2026-11-20 is already being processed \(run\) by "):
            with date_lock(db_url, DAY, "run"):
                pass
        with date_lock(db_url, DAY + dt.timedelta(days=1), "run"):  # another date is free
            pass
        with date_lock(db_url, DAY, "detect:reviews"):  # and so is another scope of the same date
            pass
    finally:
        release.set()
        holder.join(30)
    with date_lock(db_url, DAY, "run"):  # released when the first run ended
        pass


def test_a_run_killed_mid_way_does_not_block_the_next_one(db_url):
    code = ("import sys, time, datetime as dt\nfrom trust.db.locks import date_lock\n"
            f"with date_lock({db_url!r}, dt.date(2026, 11, 20), 'run'):\n    print('held', flush=True)\n    time.sleep(60)\n")
    killed = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert killed.stdout.readline().strip() == "held"
    killed.kill()  # kill -9: no cleanup runs
    killed.wait(30)
    with date_lock(db_url, DAY, "run"):
        pass


def test_trust_run_says_in_one_line_that_the_date_is_busy(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from trust.cli import app

    settings = make_settings(tmp_path / "var", tmp_path / "landing")
    prepare_warehouse(settings)
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(tmp_path / "landing"))
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_then_wait, args=(settings.db_url, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        result = CliRunner().invoke(app, ["run", "--date", DAY.isoformat()])
    finally:
        release.set()
        holder.join(30)
        dispose_engines()
    assert result.exit_code == 3
    assert "trust run: date 2026-11-20 is already being processed (run) by process" in result.output
