"""An operator's backfill through a real Airflow deployment on PostgreSQL: API server, scheduler, DAG processor and
two Celery workers (the CeleryExecutor, Redis as the broker) as separate processes, the grading stages mapped over 4
merchant shards, ``airflow dags unpause`` and ``trust backfill`` (``airflow backfill create``) as documented; the
nights it runs publish the same merchant metrics, credit scores, grades and grade documents, row for row, as the same
dates run in one process without shards."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import START, make_settings, scratch_postgres
from trust import pipeline
from trust.db.engine import dispose_engines
from trust.local_airflow import local_deployment

DATES = 2  # the suite's share (two dates: one after the other, the second with history); `trust bench-backfill --days 7` times a week
SHARDS = 4
COMPARED = {"grades": ["business_date", "merchant_id"], "merchant_metrics": ["business_date", "merchant_id", "metric"],
            "credit_scores": ["business_date", "merchant_id"], "credit_score_points": ["business_date", "merchant_id", "metric"],
            "grade_documents": ["business_date", "merchant_id"], "platform_rates": ["business_date", "metric"]}


@pytest.mark.slow
@pytest.mark.postgres
def test_unpausing_then_backfilling_a_new_warehouse_on_two_celery_workers_runs_each_date_once_in_order_and_publishes_what_one_process_does(
        tmp_path, marketplace):
    last = START + dt.timedelta(days=DATES - 1)
    with scratch_postgres("trust_airflow") as metadata_url, scratch_postgres("trust_warehouse") as warehouse_url, \
            scratch_postgres("trust_single") as single_url:
        trust_env = {"TRUST_DATA_DIR": str(tmp_path / "var"), "TRUST_LANDING_DIR": str(marketplace / "landing"),
                     "TRUST_DB_URL": warehouse_url, "TRUST_SHARDS": str(SHARDS)}
        with local_deployment(tmp_path / "airflow", metadata_url, trust_env, workers=2) as deployment:
            deployment.wait_until_parsed()
            # Unpausing starts a run for yesterday, which has no landing files: it is skipped, not failed or stuck.
            assert deployment.airflow("dags", "unpause", "trust_nightly").returncode == 0
            done = deployment.trust("backfill", "--from", START.isoformat(), "--to", last.isoformat())
            assert done.returncode == 0, done.stdout + done.stderr
            assert f"{DATES} run(s) queued" in done.stdout
            runs = deployment.wait_for_runs("backfill__", timeout=420)
            scheduled = deployment.wait_for_runs("scheduled__", timeout=120)
            queue = deployment.env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
        tasks = _rows(metadata_url, "SELECT run_id, task_id, map_index, state, try_number, queue, hostname FROM task_instance")
        published = _rows(warehouse_url, "SELECT business_date, status FROM publish_log ORDER BY id")
        single = make_settings(tmp_path / "single", marketplace / "landing", single_url)
        try:
            for day in range(DATES):
                pipeline.run_all(single, START + dt.timedelta(days=day))
        finally:
            dispose_engines()
        by_workers, by_one_process = _tables(warehouse_url), _tables(single_url)
    assert sorted(r["state"] for r in runs) == ["success"] * DATES
    backfilled = [t for t in tasks if t.run_id.startswith("backfill__")]
    assert {t.state for t in backfilled} == {"success", "skipped"}  # outcome is skipped when nothing failed
    assert max(t.try_number for t in backfilled) == 1  # no retries: nothing collided (a skipped task has try 0)
    ran = [t for t in backfilled if t.state == "success"]
    assert {t.queue for t in ran} == {queue}  # every task went through the deployment's Celery queue
    assert {t.hostname for t in ran} == {f"{queue}-worker1", f"{queue}-worker2"}  # and both workers took some
    for stage in ("merchant_metrics", "credit_scores", "grades"):  # one task per shard, spread over both workers
        mapped = [t for t in ran if t.task_id == stage]
        assert sorted(t.map_index for t in mapped) == sorted(list(range(SHARDS)) * DATES), stage
    shard_hosts = {t.hostname for t in ran if t.task_id in ("merchant_metrics", "credit_scores", "grades")}
    assert len(shard_hosts) == 2, shard_hosts
    # one date at a time, in date order
    ordered = sorted(runs, key=lambda r: r["logical_date"])
    for before, after in zip(ordered, ordered[1:]):
        assert before["end_date"] <= after["start_date"]
    assert [r["state"] for r in scheduled] == ["success"]
    yesterday = {t.task_id: t.state for t in tasks if t.run_id.startswith("scheduled__")}
    assert yesterday["ingest"] == "skipped" and yesterday["summary"] == "success"
    # a new warehouse publishes every date (drift is not judged while it warms up), and each date's summary says so
    assert [(str(d), s) for d, s in published] == [(str(START + dt.timedelta(days=i)), "published") for i in range(DATES)]
    for name, frame in by_one_process.items():  # two workers and four shards publish what one process does
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(by_workers[name], frame, check_exact=True, obj=name)


def _tables(url: str) -> dict[str, pd.DataFrame]:
    engine = create_engine(url)
    try:
        return {name: pd.read_sql_table(name, engine).sort_values(keys, ignore_index=True) for name, keys in COMPARED.items()}
    finally:
        engine.dispose()


def _rows(url: str, query: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query)).all()
    finally:
        engine.dispose()
