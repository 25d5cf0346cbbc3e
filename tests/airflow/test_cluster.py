"""The nightly DAG on Airflow's CeleryExecutor: API server, scheduler, DAG processor and two Celery workers on this
machine (Redis as the broker, PostgreSQL for Airflow's metadata and the warehouse) run the same dates as one process
and publish the same grades, row for row."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import create_engine

from tests.conftest import START, make_settings, scratch_postgres
from tests.airflow.test_scheduler import _rows
from trust import pipeline
from trust.db.engine import dispose_engines
from trust.local_airflow import local_deployment

DATES = 2
COMPARED = {"grades": ["business_date", "merchant_id"], "merchant_metrics": ["business_date", "merchant_id", "metric"],
            "credit_scores": ["business_date", "merchant_id"]}


def _tables(url: str) -> dict[str, pd.DataFrame]:
    engine = create_engine(url)
    try:
        return {name: pd.read_sql_table(name, engine).sort_values(keys, ignore_index=True) for name, keys in COMPARED.items()}
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_celery_workers_publish_the_grades_one_process_publishes(tmp_path, marketplace):
    last = START + dt.timedelta(days=DATES - 1)
    with scratch_postgres("trust_airflow") as metadata_url, scratch_postgres("trust_cluster") as cluster_url, \
            scratch_postgres("trust_single") as single_url:
        trust_env = {"TRUST_DATA_DIR": str(tmp_path / "var"), "TRUST_LANDING_DIR": str(marketplace / "landing"),
                     "TRUST_DB_URL": cluster_url}
        with local_deployment(tmp_path / "airflow", metadata_url, trust_env, workers=2) as deployment:
            deployment.wait_until_parsed()
            assert deployment.airflow("dags", "unpause", "trust_nightly").returncode == 0
            done = deployment.trust("backfill", "--from", START.isoformat(), "--to", last.isoformat())
            assert done.returncode == 0, done.stdout + done.stderr
            runs = deployment.wait_for_runs("backfill__", timeout=600)
            queue = deployment.env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
        tasks = _rows(metadata_url, "SELECT run_id, task_id, state, queue, hostname FROM task_instance")
        single = make_settings(tmp_path / "single", marketplace / "landing", single_url)
        try:
            for day in range(DATES):
                pipeline.run_all(single, START + dt.timedelta(days=day))
        finally:
            dispose_engines()
        by_cluster, by_one_process = _tables(cluster_url), _tables(single_url)
    assert sorted(r["state"] for r in runs) == ["success"] * DATES
    ran = [t for t in tasks if t.run_id.startswith("backfill__") and t.state == "success"]
    assert ran and {t.queue for t in ran} == {queue}  # every task went through the deployment's Celery queue
    assert {t.hostname for t in ran} == {f"{queue}-worker1", f"{queue}-worker2"}  # and both workers took some
    for name, frame in by_one_process.items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(by_cluster[name], frame, check_exact=True, obj=name)
