"""``trust cluster`` (``make cluster``): the nightly DAG on Airflow's CeleryExecutor on this machine, as it would run
spread over workers: Redis as the broker, PostgreSQL for Airflow's metadata and the warehouse, an API server (the UI),
a scheduler, a DAG processor and two Celery workers, each its own process. It generates a sample marketplace (once),
backfills its dates through the scheduler, prints where the UI is and keeps running until Ctrl-C."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path

from rich.console import Console

PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/{database}"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _service_up(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_services(console: Console) -> None:
    """Redis and PostgreSQL on their local ports, started where Debian's packages are installed and they are down."""
    if not _service_up("127.0.0.1", 5432) and shutil.which("pg_ctlcluster"):
        version = sorted(Path("/etc/postgresql").iterdir())[-1].name
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
    if not _service_up("127.0.0.1", 6379) and shutil.which("redis-server"):
        subprocess.run(["redis-server", "--daemonize", "yes", "--save", ""], check=False)
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        for _ in range(30):
            if _service_up("127.0.0.1", port):
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"{name} is not answering on 127.0.0.1:{port}; start it and run `trust cluster` again")
    console.print("PostgreSQL 127.0.0.1:5432 and Redis 127.0.0.1:6379 are up")


def run_cluster(console: Console, workdir: Path, workers: int = 2, days: int = 3, merchants: int = 300,
                hold: bool = True) -> dict:
    """Start the deployment, backfill ``days`` dates of a sample marketplace through it, print the outcome and where
    the UI is; then wait for Ctrl-C (``hold``) and stop every process."""
    from trust.db.health import create_database
    from trust.local_airflow import local_deployment
    from trust.synth.generator import SynthConfig, generate_marketplace

    ensure_services(console)
    workdir = workdir.resolve()
    landing = workdir / "landing"
    start = dt.date(2026, 10, 1)
    if not (landing / "_generated").exists():
        console.print(f"generating a sample marketplace: {merchants} merchants, {days} days → {landing.parent}")
        generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=7, out=workdir, start_date=start, dirty_rate=0.001))
        (landing / "_generated").write_text("sample marketplace of trust cluster\n")
    metadata_url, warehouse_url = PG_URL.format(database="trust_cluster_airflow"), PG_URL.format(database="trust_cluster")
    for url in (metadata_url, warehouse_url):
        create_database(url)
    trust_env = {"TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(landing), "TRUST_DB_URL": warehouse_url,
                 "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}  # a local cluster: the UI without a login
    last = start + dt.timedelta(days=days - 1)
    with local_deployment(workdir / "airflow", metadata_url, trust_env, workers=workers, broker_url=REDIS_URL) as deployment:
        ui = deployment.env["AIRFLOW__API__BASE_URL"]
        console.print(f"Airflow UI: [bold]{ui}[/bold]  (CeleryExecutor, {workers} workers on queue "
                      f"{deployment.env['AIRFLOW__OPERATORS__DEFAULT_QUEUE']}; logs in {deployment.home})")
        deployment.wait_until_parsed()
        deployment.airflow("dags", "unpause", "trust_nightly")
        started = time.perf_counter()
        done = deployment.trust("backfill", "--from", start.isoformat(), "--to", last.isoformat())
        if done.returncode != 0:
            raise RuntimeError("trust backfill failed:\n" + done.stdout + done.stderr)
        runs = deployment.wait_for_runs("backfill__", timeout=300 * days)
        console.print(f"{len(runs)} night(s) run in {time.perf_counter() - started:.0f} s: "
                      + ", ".join(f"{r['logical_date'][:10]} {r['state']}" for r in sorted(runs, key=lambda r: r["logical_date"])))
        summary = deployment.trust("summary", "--date", last.isoformat())
        console.print(summary.stdout)
        console.print(f"warehouse: {warehouse_url}; the UI stays at {ui} until Ctrl-C")
        if hold:
            try:
                while all(process.poll() is None for process in deployment.processes):
                    time.sleep(2)
                console.print("[red]a process of the deployment stopped[/red]; see its log in " + str(deployment.home))
            except KeyboardInterrupt:
                console.print("stopping the deployment")
    return {"runs": runs, "ui": ui, "warehouse": warehouse_url}
