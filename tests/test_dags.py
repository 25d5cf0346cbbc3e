"""DAG integrity (imports cheaply, no database at parse time, expected shape) and real runs with dag.test()."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import json
import shutil

import pytest
from sqlalchemy import select

from tests.conftest import START
from trust import pipeline
from trust.db.engine import dispose_engines, session_scope
from trust.db.tables import Grade, PublishLog
from trust.detect import registry
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
heavy = [m for m in ("pandas", "sklearn", "trust.pipeline") if m in sys.modules]
assert not heavy, f"heavy modules imported at parse time: {heavy}"
print("parsed")
"""


def load_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["trust_nightly"]


@pytest.mark.parametrize("dag_file", ["trust_nightly.py", "trust_recompute.py"])
def test_dag_file_parses_without_database_connections_or_heavy_imports(dag_file):
    done = subprocess.run([sys.executable, "-c", PARSE_WITHOUT_DATABASE, str(DAGS / dag_file)],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert done.returncode == 0 and "parsed" in done.stdout, done.stderr[-3000:]


def test_dag_has_the_nightly_shape():
    dag = load_dag()
    detectors = {f"detect_{name}" for name in registry.names()}
    assert set(dag.task_ids) == {"resolve_business_date", "ingest", "pin_models", "model_drift", "shards", "merchant_metrics",
                                 "platform_rates", "credit_scores", "grades", "quality_gate", "publish", "summary", "report",
                                 "outcome"} | detectors
    assert dag.get_task("ingest").downstream_task_ids == {"pin_models", "outcome"}
    assert dag.get_task("pin_models").downstream_task_ids == detectors | {"outcome"}
    for name in detectors:
        assert dag.get_task(name).downstream_task_ids == {"merchant_metrics", "model_drift", "outcome"}
    assert dag.get_task("model_drift").downstream_task_ids == {"quality_gate", "outcome"}
    chain = ["merchant_metrics", "platform_rates", "credit_scores", "grades", "quality_gate", "publish", "summary", "report"]
    for upstream, downstream in zip(chain, chain[1:]):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    # The sharded stages are mapped over the night's shards (TRUST_SHARDS); the platform-wide step runs once between.
    sharded = {f"detect_{name}" for name in registry.names() if registry.get(name).shardable}
    assert sharded == {"detect_complaints"}  # the others span merchants: one task each
    assert {task.task_id for task in dag.tasks if getattr(task, "is_mapped", False)} == {"merchant_metrics", "credit_scores", "grades"} | sharded
    assert "shards" in dag.get_task("merchant_metrics").upstream_task_ids
    assert "Asia/Shanghai" in str(dag.timezone)
    assert "trust" in dag.tags and dag.doc_md and "business_date" in dag.params
    # Retries only where a retry can help (the stages); every task has a timeout; summary and report run after failures.
    assert {task.task_id for task in dag.tasks if task.retries == 0} == {"resolve_business_date", "shards", "outcome"}
    assert all(task.execution_timeout is not None for task in dag.tasks)
    assert {task.task_id for task in dag.tasks if task.trigger_rule == "all_done"} == {"summary", "report"}
    assert dag.get_task("outcome").trigger_rule == "one_failed"
    assert dag.get_task("outcome").upstream_task_ids == set(dag.task_ids) - {"outcome", "resolve_business_date"}


def _backfill(settings: Settings, last_day: dt.date) -> None:
    day = START
    while day < last_day:
        pipeline.run_ingest(settings, day)
        day += dt.timedelta(days=1)


def _run_dag(monkeypatch, tmp_path, marketplace, last_day):
    """The DAG under dag.test() on SQLite (on PostgreSQL it runs under a real scheduler: tests/airflow/test_scheduler.py)."""
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(marketplace / "landing"))
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


def _states(run) -> dict[str, tuple[str, int]]:
    return {ti.task_id: (str(ti.state).split(".")[-1].lower(), ti.try_number) for ti in run.get_task_instances()}


def _summary(settings: Settings, day: dt.date) -> dict:
    return json.loads((settings.reports_dir / day.isoformat() / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_held_grades_fail_the_publish_task_once_with_the_reason_and_the_summary_and_report_still_say_so(
        airflow_db, monkeypatch, tmp_path, marketplace, last_day):
    landing = tmp_path / "landing"
    shutil.copytree(marketplace / "landing", landing)
    (landing / "orders" / last_day.isoformat() / "extra.parquet").write_bytes(b"garbage")
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(landing))
    settings = Settings.from_env()
    _backfill(settings, last_day)
    run = load_dag().test(run_conf={"business_date": last_day.isoformat()})
    states = _states(run)
    assert "failed" in str(run.state).lower()  # the hold is visible in Airflow, not a green run
    assert states["publish"] == ("failed", 1)  # no retries on a decision
    assert states["grades"][0] == "success" and states["summary"][0] == "success" and states["report"][0] == "success"
    assert states["outcome"][0] == "failed"
    summary = _summary(settings, last_day)
    assert summary["outcome"] == "held" and "no_rejected_files" in summary["publish"]["reason"]
    assert summary["stage_problems"] == [{"stage": "publish", "status": "held", "error": summary["publish"]["reason"]}]
    report = (settings.reports_dir / last_day.isoformat() / "report.html").read_text(encoding="utf-8")
    assert "no_rejected_files" in report
    dispose_engines()


def test_a_missing_landing_file_fails_ingest_once_without_retries_and_the_date_still_gets_a_summary(
        airflow_db, monkeypatch, tmp_path, marketplace, last_day):
    landing = tmp_path / "landing"
    shutil.copytree(marketplace / "landing", landing)
    shutil.rmtree(landing / "complaints" / last_day.isoformat())
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(landing))
    settings = Settings.from_env()
    run = load_dag().test(run_conf={"business_date": last_day.isoformat()})
    states = _states(run)
    assert "failed" in str(run.state).lower()
    assert states["ingest"] == ("failed", 1)  # not three attempts ten minutes apart
    assert states["detect_reviews"][0] == "upstream_failed" and states["summary"][0] == "success"
    summary = _summary(settings, last_day)
    assert summary["outcome"] == "failed at ingest" and summary["publish"] is None
    assert "no landing file for complaints" in summary["stage_problems"][0]["error"]
    dispose_engines()


def test_a_date_nothing_was_delivered_for_is_skipped_not_failed_and_recorded_as_not_run(
        airflow_db, monkeypatch, tmp_path, marketplace):
    """What unpausing the DAG on a new deployment does: it starts a run for yesterday, which has no files."""
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(marketplace / "landing"))
    settings = Settings.from_env()
    day = dt.date(2026, 12, 1)
    run = load_dag().test(run_conf={"business_date": day.isoformat()})
    states = _states(run)
    assert "success" in str(run.state).lower()  # the queue is not blocked
    assert states["ingest"] == ("skipped", 1) and states["publish"][0] == "skipped"
    assert states["outcome"][0] == "skipped" and states["summary"][0] == "success"
    summary = _summary(settings, day)
    assert summary["outcome"] == "not run: nothing delivered"
    assert "nothing was delivered for business date 2026-12-01" in summary["stage_problems"][0]["error"]
    dispose_engines()


def test_a_backfill_of_business_dates_asks_airflow_for_the_runs_that_process_them_one_at_a_time():
    from trust.dates import backfill_command, business_date_for_run, logical_date_for

    command = backfill_command(dt.date(2026, 10, 1), dt.date(2026, 10, 7), "Asia/Shanghai")
    # business date D is processed by the run at 02:30 Shanghai time on D+1, i.e. 18:30 UTC on D
    assert command[command.index("--from-date") + 1] == "2026-10-01T18:30:00+00:00"
    assert command[command.index("--to-date") + 1] == "2026-10-07T18:30:00+00:00"
    assert command[command.index("--max-active-runs") + 1] == "1"
    for day in (dt.date(2026, 10, 1), dt.date(2026, 12, 31)):
        assert business_date_for_run(None, logical_date_for(day, "Asia/Shanghai"), None, "Asia/Shanghai") == day
    with pytest.raises(ValueError, match="ends"):
        backfill_command(dt.date(2026, 10, 7), dt.date(2026, 10, 1), "Asia/Shanghai")
