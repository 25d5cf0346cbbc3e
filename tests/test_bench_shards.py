"""``trust bench-shards`` reruns a bench's night in shards, each task a fresh process, and measures it; ``trust stage``
runs one task of a night by hand, as the DAG does."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pandas as pd
from rich.console import Console

from tests.conftest import START, make_settings
from trust import pipeline
from trust.bench_shards import run_shard_bench
from trust.db.engine import dispose_engines, read_table, session_scope
from trust.db.tables import Grade, StageRun


def _grades(settings, day) -> pd.DataFrame:
    with session_scope(settings.db_url) as session:
        return read_table(session, Grade, Grade.business_date == day).sort_values("merchant_id", ignore_index=True)


def test_the_shard_bench_runs_each_shard_as_a_task_and_the_night_keeps_its_grades(tmp_path, marketplace, last_day):
    workdir = tmp_path / "bench"
    settings = make_settings(workdir / "var", marketplace / "landing")
    for i in range((last_day - START).days + 1):
        pipeline.run_ingest(settings, START + dt.timedelta(days=i))
    pipeline.run_all(settings, last_day, ingest=False)
    before = _grades(settings, last_day)
    (workdir / "bench.json").write_text(json.dumps({"reviews": 1, "merchants": 160, "db_url": settings.db_url}))
    results = run_shard_bench(Console(quiet=True), workdir, shard_counts=[3], worker_counts=[2])
    by_stage = {r["stage"]: r for r in results}
    assert by_stage["import only (a task's start)"]["wall_s"] > 0
    assert [by_stage[s]["tasks"] for s in ("detect[complaints]", "merchant_metrics", "platform_rates", "credit_scores", "grades")] \
        == [3, 3, 1, 3, 3]
    assert all(r["max_task_peak_mb"] > 50 and r["wall_s"] > 0 for r in results[1:])
    assert by_stage["sharded part of the night"]["tasks"] == 13
    assert json.loads((workdir / "bench-shards.json").read_text())["results"] == results
    pd.testing.assert_frame_equal(_grades(settings, last_day), before, check_exact=True)
    with session_scope(settings.db_url) as session:  # each shard's task was recorded as the DAG's would be
        stages = set(session.execute(StageRun.__table__.select().with_only_columns(StageRun.stage)
                                     .where(StageRun.business_date == last_day)).scalars())
    assert {"grades:0/3", "grades:1/3", "grades:2/3", "detect:complaints:2/3", "platform_rates"} <= stages

    env = {**os.environ, "TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(marketplace / "landing")}
    trust = [os.path.join(os.path.dirname(sys.executable), "trust")]
    done = subprocess.run([*trust, "stage", "grades", "--date", last_day.isoformat(), "--shard", "1/2"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["shard"] == "1/2"
    refused = subprocess.run([*trust, "stage", "publish", "--date", last_day.isoformat(), "--shard", "1/2"], env=env,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "stage publish takes no argument, not 1/2" in refused.stderr
    dispose_engines()
