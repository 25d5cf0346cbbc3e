"""Apply the Alembic migrations to a warehouse URL (``trust db upgrade``)."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

from trust.db.engine import get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(db_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    config.attributes["db_url"] = db_url
    return config


# Alembic keeps its running context in module globals: two threads upgrading at once (two nights run side by side in
# one process) would read each other's. One upgrade at a time per process; across processes the database serialises.
_UPGRADING = threading.Lock()


def upgrade_database(db_url: str, revision: str = "head") -> None:
    """Bring the warehouse at ``db_url`` to ``revision`` (idempotent)."""
    config = alembic_config(db_url)
    with _UPGRADING, get_engine(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
