"""``trust demo``: a sample marketplace through the real Airflow DAG on the embedded default warehouse."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import track
from rich.table import Table

from trust.settings import PROJECT_ROOT, Settings


def airflow_environment(base: dict[str, str], airflow_home: Path) -> dict[str, str]:
    """Environment for running this project's DAGs with a local Airflow (SQLite metadata under ``airflow_home``)."""
    env = dict(base)
    env.update({
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
    })
    return env


def run_airflow_dag_test(env: dict[str, str], business_date: dt.date, log_path: Path) -> None:
    """``airflow db migrate`` then ``airflow dags test trust_nightly`` for ``business_date``; raises with the log's tail."""
    airflow = str(Path(sys.executable).parent / "airflow")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        for command in ([airflow, "db", "migrate"],
                        [airflow, "dags", "test", "trust_nightly", "-c", json.dumps({"business_date": business_date.isoformat()})]):
            done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                tail = log_path.read_text(errors="replace").splitlines()[-40:]
                raise RuntimeError(f"{' '.join(command[1:3])} failed (exit {done.returncode}); see {log_path}:\n" + "\n".join(tail))


def run_demo(console: Console, merchants: int = 300, days: int = 30, seed: int = 7) -> None:
    from trust.cli.summary import print_summary
    from trust.pipeline import run_ingest, summarise_run
    from trust.synth.generator import SynthConfig, generate_marketplace

    started = time.perf_counter()
    root = Path("var/demo").resolve()
    shutil.rmtree(root, ignore_errors=True)
    env = {k: v for k, v in os.environ.items()}
    env.update({"TRUST_DATA_DIR": str(root), "TRUST_LANDING_DIR": str(root / "landing"), "TRUST_REPORTS_DIR": str(root / "reports")})
    settings = Settings.from_env(env)

    console.print(f"[bold]1/3[/bold] generating a marketplace: {merchants} merchants, {days} days, seed {seed} → {root}")
    summary = generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=root, dirty_rate=0.001))
    console.print("    " + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))

    history = [summary.first_date + dt.timedelta(days=i) for i in range(days - 1)]
    loader_log = logging.getLogger("trust.ingest.loader")
    level = loader_log.level
    loader_log.setLevel(logging.ERROR)  # each quarantined row is logged; the demo shows a sample table instead
    try:
        for day in track(history, description="[bold]2/3[/bold] backfilling history (ingest)", console=console):
            run_ingest(settings, day)
    finally:
        loader_log.setLevel(level)

    last = summary.last_date
    console.print(f"[bold]3/3[/bold] running trust_nightly for {last} through Airflow (airflow dags test)")
    log_path = root / "airflow-dags-test.log"
    run_airflow_dag_test(airflow_environment(env, Path("var/airflow").resolve()), last, log_path)

    result = summarise_run(settings, last)
    print_summary(result)
    _print_quarantine_sample(console, settings)
    _print_truth(console, settings, root / "truth" / "merchants.csv", last)
    console.print(f"report:        {settings.reports_dir / last.isoformat() / 'report.html'} (also served by `trust serve`)\n"
                  f"landing files: {settings.landing_dir}\nAirflow log:   {log_path}\n"
                  f"finished in {time.perf_counter() - started:.0f} s")
    worst = (result.get("worst_merchants") or [{"merchant_id": "M000001"}])[0]["merchant_id"]
    console.print("\n[bold]Next: serve the demo's grades and look one up[/bold] (copy and paste, in two terminals):")
    for line in next_steps(Path("var/demo"), worst, last):
        console.print("  " + line, highlight=False, soft_wrap=True)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory where it is inside it (what a user types), else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(Path(path).resolve())


def next_steps(data_dir: Path, merchant: str, business_date: dt.date, port: int = 8000) -> list[str]:
    """The commands that serve a warehouse's grades and look one up, exactly as printed after the demo (a test runs
    them as printed)."""
    trust = _shown(Path(sys.executable).parent / "trust")
    data = _shown(data_dir)
    return [f"TRUST_DATA_DIR={data} {trust} serve --port {port}",
            f"curl -s http://127.0.0.1:{port}/merchants/{merchant}/grade",
            f"curl -s http://127.0.0.1:{port}/reports/{business_date.isoformat()} -o report.html",
            f"TRUST_DATA_DIR={data} {trust} grade {merchant}",
            f"TRUST_DATA_DIR={data} {trust} report --date {business_date.isoformat()}"]


def _print_quarantine_sample(console: Console, settings: Settings, rows: int = 6) -> None:
    from sqlalchemy import func, select

    from trust.db.engine import session_scope
    from trust.db.tables import QuarantineRow

    with session_scope(settings.db_url) as session:
        total = session.execute(select(func.count()).select_from(QuarantineRow)).scalar_one()
        sample = session.execute(select(QuarantineRow).order_by(QuarantineRow.business_date, QuarantineRow.entity,
                                                                QuarantineRow.row_number).limit(rows)).scalars().all()
    table = Table(title=f"Quarantine: {total} rows held back with their reasons (first {len(sample)})")
    for column in ("file", "row", "column", "value", "reason"):
        table.add_column(column)
    for q in sample:
        table.add_row(q.source_file, str(q.row_number), q.column_name or "", str(q.value or "")[:30], q.reason)
    console.print(table)


def _print_truth(console: Console, settings: Settings, truth_path: Path, business_date: dt.date) -> None:
    """What was planted against the grade it got: the demo's own check that the pipeline sees misconduct."""
    from sqlalchemy import select

    from trust.db.engine import read_frame, session_scope
    from trust.db.tables import Grade

    with session_scope(settings.db_url) as session:
        grades = read_frame(session, select(Grade.merchant_id, Grade.tier).where(Grade.business_date == business_date))
    truth = pd.read_csv(truth_path)
    graded = truth.merge(grades, on="merchant_id")
    crosstab = pd.crosstab(graded["profile"], graded["tier"])
    table = Table(title="Planted profile (ground truth, never ingested) × published tier")
    table.add_column("planted profile")
    for tier in crosstab.columns:
        table.add_column(str(tier), justify="right")
    for profile, row in crosstab.iterrows():
        table.add_row(str(profile), *[str(int(v)) for v in row])
    console.print(table)
