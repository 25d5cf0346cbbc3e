"""DAG integrity (imports cheaply, no database at parse time, expected shape) and real runs with dag.test()."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import START
from trust import pipeline
from trust.db.engine import dispose_engines, session_scope
from trust.db.tables import Grade, PublishLog
from trust.detect import DETECTOR_NAMES
from trust.settings import Settings

DAGS = Path(__file__).resolve().parents[1] / "dags"

PARSE_WITHOUT_DATABASE = """
import socket, sqlite3, sys
def refuse(*args, **kwargs):
    raise AssertionError(f"database or network connection while parsing: {args[:1]}")
sqlite3.connect = refuse
socket.socket.connect = refuse
import psycopg2
psycopg2.connect = refuse
import runpy
namespace = runpy.run_path(sys.argv[1])
heavy = [m for m in ("pandas", "sklearn", "trust.pipeline", "trust.detect.registry") if m in sys.modules]
assert not heavy, f"heavy modules imported at parse time: {heavy}"
print("parsed")
"""


def load_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["trust_nightly"]


def test_dag_file_parses_without_database_connections_or_heavy_imports():
    done = subprocess.run([sys.executable, "-c", PARSE_WITHOUT_DATABASE, str(DAGS / "trust_nightly.py")],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert done.returncode == 0 and "parsed" in done.stdout, done.stderr[-3000:]


def test_dag_has_the_nightly_shape():
    dag = load_dag()
    detectors = {f"detect_{name}" for name in DETECTOR_NAMES}
    assert set(dag.task_ids) == {"resolve_business_date", "ingest", "merchant_metrics", "credit_scores", "grades",
                                 "quality_gate", "publish", "summary", "report"} | detectors
    assert dag.get_task("ingest").downstream_task_ids == detectors
    for name in detectors:
        assert dag.get_task(name).downstream_task_ids == {"merchant_metrics"}
    chain = ["merchant_metrics", "credit_scores", "grades", "quality_gate", "publish", "summary", "report"]
    for upstream, downstream in zip(chain, chain[1:]):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    assert "Asia/Shanghai" in str(dag.timezone)
    assert "trust" in dag.tags and dag.doc_md and "business_date" in dag.params
    assert all(task.retries == 2 for task in dag.tasks)


def _backfill(settings: Settings, last_day: dt.date) -> None:
    day = START
    while day < last_day:
        pipeline.run_ingest(settings, day)
        day += dt.timedelta(days=1)


def _run_dag(monkeypatch, tmp_path, marketplace, last_day, db_url=None):
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(marketplace / "landing"))
    if db_url:
        monkeypatch.setenv("TRUST_DB_URL", db_url)
    settings = Settings.from_env()
    _backfill(settings, last_day)
    run = load_dag().test(run_conf={"business_date": last_day.isoformat()})
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    with session_scope(settings.db_url) as session:
        graded = session.execute(select(Grade.tier).where(Grade.business_date == last_day)).scalars().all()
        decision = session.execute(select(PublishLog).where(PublishLog.business_date == last_day)).scalar_one()
    assert len(graded) == 160 and decision.status == "published"
    assert (settings.reports_dir / last_day.isoformat() / "summary.json").is_file()
    assert (settings.reports_dir / last_day.isoformat() / "report.html").is_file()
    dispose_engines()


@pytest.mark.slow
def test_nightly_dag_runs_end_to_end_on_sqlite(airflow_db, monkeypatch, tmp_path, marketplace, last_day):
    _run_dag(monkeypatch, tmp_path, marketplace, last_day)


@pytest.mark.slow
@pytest.mark.postgres
def test_nightly_dag_runs_end_to_end_on_postgresql(airflow_db, monkeypatch, tmp_path, marketplace, last_day, postgres_url):
    _run_dag(monkeypatch, tmp_path, marketplace, last_day, postgres_url)


def test_a_misspelt_run_parameter_fails_the_run_at_once_and_a_bad_date_is_refused_at_trigger_time(airflow_db):
    from airflow.sdk.definitions.param import ParamValidationError

    from trust.dates import check_run_conf

    with pytest.raises(ValueError, match=r"unknown run parameter\(s\) 'buisness_date'; this DAG takes business_date"):
        check_run_conf({"buisness_date": "2026-10-14"}, known=("business_date",))
    run = load_dag().test(run_conf={"buisness_date": "2026-10-14"})
    assert "failed" in str(run.state).lower()  # not yesterday processed in silence
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "failed" in states["resolve_business_date"] and "success" not in states["ingest"]
    with pytest.raises(ParamValidationError, match="is not a 'date'"):
        load_dag().test(run_conf={"business_date": "2026-13-45"})
