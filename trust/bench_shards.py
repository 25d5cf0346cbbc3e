"""``trust bench-shards``: the sharded stages of a night, timed with N merchant shards on W workers.

It reruns the night of a warehouse ``trust bench`` built (its work folder), the way a CeleryExecutor runs it: every
task is a fresh process (``run_stage``, as the DAG's task calls it), at most W at a time, each shard of a stage a task,
the platform-wide step once between. Per stage it reports the wall time (first task started → last task ended), the
task seconds summed, and the largest peak memory of one task (the child's maximum resident set, from ``wait4``):
what one worker needs. The first row, ``import only``, is what starting a task costs before it does anything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

TASK = "import sys\nfrom trust.pipeline import run_stage\nrun_stage(*sys.argv[1:])"


def night_stages() -> list[tuple[str, tuple[str, ...], bool]]:
    """(stage, arguments before the shard, sharded) of the night's sharded stages and the global steps between them,
    in the DAG's order: the detectors that take a shard, then the grading stages up to the grades."""
    from trust.detect import registry
    from trust.stages import GRADING_STAGES, SHARDED_STAGES

    detectors = [("detect", (name,), True) for name in registry.names() if registry.get(name).shardable]
    grading = GRADING_STAGES[:GRADING_STAGES.index("grades") + 1]
    return detectors + [(stage, (), stage in SHARDED_STAGES) for stage in grading]


def _run_tasks(commands: list[list[str]], workers: int, env: dict, logs: Path) -> list[dict]:
    """Run ``commands`` as processes, ``workers`` at a time; each one's seconds and peak RSS (MB), in start order.
    A task's output goes to a file under ``logs`` (a pipe nobody reads while it runs would fill and stall it)."""
    logs.mkdir(parents=True, exist_ok=True)
    pending = list(enumerate(commands))
    running: dict[int, tuple[int, float, Path]] = {}
    done: dict[int, dict] = {}
    while pending or running:
        while pending and len(running) < workers:
            position, command = pending.pop(0)
            log = logs / f"task-{position}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            running[process.pid] = (position, time.perf_counter(), log)
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        position, started, log = running.pop(pid)
        if os.waitstatus_to_exitcode(status) != 0:
            error = log.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"task {commands[position][3:]} failed (log: {log}):\n{error[-3000:]}")
        done[position] = {"seconds": time.perf_counter() - started, "peak_rss_mb": round(usage.ru_maxrss / 1024)}
    return [done[i] for i in range(len(commands))]


def bench_night_shards(logs: Path, shards: int, workers: int, business_date: dt.date, env: dict) -> list[dict]:
    """The sharded part of a night with ``shards`` shards on ``workers`` workers: one row per stage."""
    env = {**env, "TRUST_SHARDS": str(shards)}
    rows = []
    for stage, before, sharded in night_stages():
        ids = [f"{i}/{shards}" for i in range(shards)] if sharded else [None]
        commands = [[sys.executable, "-c", TASK, stage, business_date.isoformat(), *before, *([shard] if shard else [])]
                    for shard in ids]
        started = time.perf_counter()
        tasks = _run_tasks(commands, workers, env, logs / f"{shards}x{workers}" / stage)
        rows.append({"shards": shards, "workers": workers, "stage": stage + (f"[{before[0]}]" if before else ""),
                     "tasks": len(tasks), "wall_s": round(time.perf_counter() - started, 2),
                     "task_s": round(sum(t["seconds"] for t in tasks), 2),
                     "max_task_peak_mb": max(t["peak_rss_mb"] for t in tasks)})
    return rows


def run_shard_bench(console: Console, workdir: Path, shard_counts: list[int], worker_counts: list[int]) -> list[dict]:
    """Every combination of shard and worker counts on the warehouse of a ``trust bench`` work folder."""
    from sqlalchemy import func, select

    from trust.db.engine import session_scope
    from trust.db.tables import Grade

    workdir = workdir.resolve()
    facts = json.loads((workdir / "bench.json").read_text())
    env = {**os.environ, "TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(workdir / "market" / "landing"),
           "TRUST_DB_URL": facts["db_url"]}
    with session_scope(facts["db_url"]) as session:
        business_date = session.execute(select(func.max(Grade.business_date))).scalar_one()
    console.print(f"bench-shards: {facts['reviews']:,} reviews, {facts['merchants']:,} merchants, night of {business_date}, "
                  f"warehouse {facts['db_url']}")
    started = time.perf_counter()
    logs = workdir / "bench-shards-logs"
    _run_tasks([[sys.executable, "-c", "import trust.pipeline"]], 1, env, logs / "import")
    results = [{"shards": None, "workers": None, "stage": "import only (a task's start)", "tasks": 1,
                "wall_s": round(time.perf_counter() - started, 2), "task_s": None, "max_task_peak_mb": None}]
    for shards in shard_counts:
        for workers in worker_counts:
            rows = bench_night_shards(logs, shards, workers, business_date, env)
            rows.append({"shards": shards, "workers": workers, "stage": "sharded part of the night", "tasks": sum(r["tasks"] for r in rows),
                         "wall_s": round(sum(r["wall_s"] for r in rows), 2), "task_s": round(sum(r["task_s"] for r in rows), 2),
                         "max_task_peak_mb": max(r["max_task_peak_mb"] for r in rows)})
            results += rows
            console.print(f"{shards} shard(s), {workers} worker(s): {rows[-1]['wall_s']:.1f} s")
    table = Table(title=f"trust bench-shards: {facts['reviews']:,} reviews, {facts['merchants']:,} merchants")
    for column in ("shards", "workers", "stage", "tasks", "wall s", "task s", "max task peak MB"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for r in results:
        table.add_row(*("" if r[k] is None else str(r[k]) for k in ("shards", "workers", "stage", "tasks", "wall_s", "task_s",
                                                                      "max_task_peak_mb")))
    console.print(table)
    out = workdir / "bench-shards.json"
    out.write_text(json.dumps({"reviews": facts["reviews"], "merchants": facts["merchants"], "db_url": facts["db_url"],
                               "business_date": str(business_date), "results": results}, indent=2))
    console.print(f"figures also in {out}")
    return results
