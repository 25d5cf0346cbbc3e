"""A real Airflow deployment on this machine: API server, scheduler and DAG processor as separate processes, with a
PostgreSQL (or SQLite) metadata database and the LocalExecutor; or, with ``workers``, the CeleryExecutor: that many
``airflow celery worker`` processes taking the night's tasks from Redis, as on a cluster (PostgreSQL metadata only).
Used by the scheduler and cluster tests, `trust bench-backfill` and `scripts/cluster` to exercise what an operator runs
(``airflow backfill create``, unpausing, workers), not ``dag.test()``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from trust.settings import PROJECT_ROOT

AIRFLOW = str(Path(sys.executable).parent / "airflow")
TRUST = str(Path(sys.executable).parent / "trust")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_hostname() -> str:
    """The host name Airflow records on a task instance: the Celery worker's name where a deployment of this module
    started the process (all its workers share one machine), the machine's name otherwise."""
    import socket

    return os.environ.get("TRUST_WORKER_NAME") or socket.getfqdn()


def deployment_environment(home: Path, metadata_url: str, trust_env: dict[str, str], port: int,
                           broker_url: str | None = None) -> dict[str, str]:
    """Environment for every Airflow process of one deployment (and for the trust commands run against it); with
    ``broker_url`` (Redis), the CeleryExecutor on a queue of this deployment's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(trust_env)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
    })
    if broker_url:
        if not metadata_url.startswith("postgresql"):
            raise ValueError("the CeleryExecutor needs a PostgreSQL metadata database (its results are kept there)")
        env.update({
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url.replace("postgresql://", "postgresql+psycopg2://", 1),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # a queue of this deployment's own: two deployments on one Redis never take each other's tasks
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"trust-{secrets.token_hex(4)}",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "trust.local_airflow.worker_hostname",
        })
    return env


@dataclass
class Deployment:
    env: dict[str, str]
    home: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False)

    def trust(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([TRUST, *args], env={**self.env, "COLUMNS": "250"}, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def dag_runs(self) -> list[dict]:
        done = self.airflow("dags", "list-runs", "trust_nightly", "-o", "json")
        for line in done.stdout.splitlines():  # warnings come first, on their own lines
            if line.startswith("[{") or line.strip() == "[]":
                return json.loads(line)
        return []

    def wait_until_parsed(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if "trust_nightly" in self.airflow("dags", "list", "-o", "plain").stdout:
                return
            time.sleep(2)
        raise TimeoutError(f"the DAG processor did not parse trust_nightly in {timeout:.0f} s; see {self.home}/*.log")

    def wait_for_runs(self, prefix: str, timeout: float) -> list[dict]:
        """Until every run whose id starts with ``prefix`` has finished; returns them."""
        deadline = time.time() + timeout
        while True:
            runs = [r for r in self.dag_runs() if r["run_id"].startswith(prefix)]
            if runs and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            if time.time() > deadline:
                raise TimeoutError(f"runs not finished after {timeout:.0f} s: "
                                   + ", ".join(f"{r['run_id']}={r['state']}" for r in runs))
            time.sleep(3)


@contextmanager
def local_deployment(home: Path, metadata_url: str, trust_env: dict[str, str], workers: int = 0,
                     broker_url: str = "redis://127.0.0.1:6379/0") -> Iterator[Deployment]:
    """Migrate the metadata database, start API server, scheduler and DAG processor (and, with ``workers``, that many
    Celery workers on ``broker_url``); stop them all afterwards."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    deployment = Deployment(deployment_environment(home, metadata_url, trust_env, port, broker_url if workers else None), home)
    migrated = deployment.airflow("db", "migrate")
    if migrated.returncode != 0:
        raise RuntimeError("airflow db migrate failed:\n" + (migrated.stdout + migrated.stderr)[-3000:])
    commands = {"api-server": ([AIRFLOW, "api-server", "--port", str(port), "--host", "127.0.0.1"], {}),
                "scheduler": ([AIRFLOW, "scheduler"], {}), "dag-processor": ([AIRFLOW, "dag-processor"], {})}
    queue = deployment.env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE", "default")
    for number in range(1, workers + 1):  # each worker serves its task logs on a port of its own
        commands[f"worker-{number}"] = ([AIRFLOW, "celery", "worker", "--queues", queue, "--concurrency", "2",
                                         "--celery-hostname", f"{queue}-worker{number}@%h", "--without-mingle",
                                         "--without-gossip"],
                                        {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                                         "TRUST_WORKER_NAME": f"{queue}-worker{number}"})
    try:
        for name, (command, extra) in commands.items():
            log = (home / f"{name}.log").open("w")
            deployment.processes.append(subprocess.Popen(command, env={**deployment.env, **extra}, stdout=log,
                                                         stderr=subprocess.STDOUT, start_new_session=True))
        _wait_for_http(f"http://127.0.0.1:{port}/execution/health", 90, home)
        yield deployment
    finally:
        for process in deployment.processes:
            try:
                os.killpg(process.pid, 15)
            except ProcessLookupError:
                pass
        for process in deployment.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=10)


def _wait_for_http(url: str, timeout: float, home: Path) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the Airflow API server did not answer {url} in {timeout:.0f} s; see {home}/api-server.log")
