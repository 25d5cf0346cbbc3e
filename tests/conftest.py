"""Shared fixtures: an isolated Airflow home, a small planted marketplace, SQLite and PostgreSQL warehouses."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Airflow reads its configuration when first imported: point it at a private home before anything imports it.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="trust-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

import datetime as dt  # noqa: E402

import pytest  # noqa: E402

from trust.db.engine import dispose_engines  # noqa: E402
from trust.settings import Settings  # noqa: E402
from trust.synth.generator import SynthConfig, generate_marketplace  # noqa: E402

PG_ADMIN_URL = os.environ.get("TRUST_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
START = dt.date(2026, 10, 1)
DAYS = 14


@pytest.fixture(scope="session")
def marketplace(tmp_path_factory) -> Path:
    """A 160-merchant, 14-day marketplace with every kind of planted misconduct and a few broken rows."""
    out = tmp_path_factory.mktemp("marketplace")
    generate_marketplace(SynthConfig(merchants=160, days=DAYS, seed=11, out=out, start_date=START, dirty_rate=0.002))
    return out


@pytest.fixture(scope="session")
def last_day() -> dt.date:
    return START + dt.timedelta(days=DAYS - 1)


def make_settings(data_dir: Path, landing: Path, db_url: str | None = None) -> Settings:
    env = {"TRUST_DATA_DIR": str(data_dir), "TRUST_LANDING_DIR": str(landing)}
    if db_url:
        env["TRUST_DB_URL"] = db_url
    return Settings.from_env(env)


@pytest.fixture
def settings(tmp_path, marketplace) -> Settings:
    """Embedded SQLite warehouse in a fresh folder, reading the shared marketplace's landing files."""
    yield make_settings(tmp_path / "var", marketplace / "landing")
    dispose_engines()


@contextmanager
def scratch_postgres(prefix: str = "trust_test") -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server, dropped afterwards."""
    from sqlalchemy import create_engine, text

    from trust.db.health import scratch_database

    try:  # the suite promises PostgreSQL coverage: say loudly why it is missing
        probe = create_engine(PG_ADMIN_URL)
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:
        if os.environ.get("TRUST_SKIP_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
        raise RuntimeError(f"PostgreSQL not reachable at {PG_ADMIN_URL} (set TRUST_SKIP_POSTGRES=1 to skip): {exc}") from exc
    with scratch_database(PG_ADMIN_URL, prefix) as url:
        yield url


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database on the local server, dropped afterwards."""
    with scratch_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's own metadata database (SQLite in the private home), migrated once."""
    airflow = Path(sys.executable).parent / "airflow"
    done = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return _AIRFLOW_HOME


# The longest files first: `make test` runs two workers, one file each at a time in this order
# (--no-loadscope-reorder), so the real-scheduler test and the pipeline's runs start at once instead of last.
SLOWEST_FIRST = ("tests/airflow/", "tests/test_pipeline.py", "tests/test_dags.py", "tests/test_evaluate.py", "tests/test_analyst.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next((i for i, prefix in enumerate(SLOWEST_FIRST) if item.nodeid.startswith(prefix)), len(SLOWEST_FIRST))

    items.sort(key=rank)  # stable: the order within each file is kept
