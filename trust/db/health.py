"""Is the warehouse there, reachable and migrated? One sentence that says what is wrong and what to do.

Used by every CLI command (a database that is down, missing or not migrated is one line, not a traceback) and by
the service (503 with the reason while the warehouse cannot serve).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError


@dataclass(frozen=True)
class WarehouseState:
    ok: bool
    problem: str | None = None  # unreachable | no_database | not_migrated | outdated | refused
    message: str = ""


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be used; ``str()`` is the one-line reason with the remedy."""

    def __init__(self, state: WarehouseState):
        super().__init__(state.message)
        self.state = state


def shown_url(db_url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given: it holds no recognisable password field
        return db_url


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from trust.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def connection_problem(db_url: str, error: BaseException) -> WarehouseState:
    """Classify a failure to connect (from the driver's message) into a state with the remedy."""
    url = make_url(db_url)
    where = shown_url(db_url)
    message = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if url.get_backend_name() == "postgresql":
        host = f"{url.host or 'localhost'}:{url.port or 5432}"
        if "does not exist" in message and "database" in message:
            return WarehouseState(False, "no_database", f"the warehouse database {url.database!r} does not exist on {host}: "
                                  f"create it with `createdb -h {url.host or 'localhost'} -p {url.port or 5432} -U {url.username or 'postgres'} "
                                  f"{url.database}` (or `trust db upgrade --create`), then run `trust db upgrade`")
        if "password authentication" in message or "authentication failed" in message or "no password" in message:
            return WarehouseState(False, "refused", f"PostgreSQL at {host} refused user {url.username!r}: {message}. "
                                  "Check the user and password in TRUST_DB_URL")
        return WarehouseState(False, "unreachable", f"cannot reach the warehouse at {where}: {message}. Is PostgreSQL "
                              f"running and listening on {host}? Start it, or point TRUST_DB_URL at a running server")
    if url.get_backend_name() == "sqlite":
        return WarehouseState(False, "unreachable", f"cannot open the SQLite warehouse {url.database!r}: {message}. "
                              "Check that its folder exists and is writable (TRUST_DATA_DIR / TRUST_DB_URL)")
    return WarehouseState(False, "unreachable", f"cannot reach the warehouse at {where}: {message}")


def warehouse_state(db_url: str) -> WarehouseState:
    """Reachable and at the migration head? Never raises for database trouble: the state says what it is."""
    from alembic.runtime.migration import MigrationContext

    from trust.db.engine import get_engine

    where = shown_url(db_url)
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        from pathlib import Path

        if not Path(url.database).exists():  # connecting would create an empty file: say what is missing instead
            return WarehouseState(False, "not_migrated", f"there is no warehouse at {url.database} yet: run "
                                  "`trust db upgrade` (or the nightly run, which creates it), or set TRUST_DATA_DIR to "
                                  "the folder that holds one (the demo's is var/demo)")
    try:
        with get_engine(db_url).connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as error:
        return connection_problem(db_url, error)
    except SQLAlchemyError as error:
        return WarehouseState(False, "unreachable", f"cannot use the warehouse at {where}: {error}")
    head = _head_revision()
    if current is None:
        return WarehouseState(False, "not_migrated", f"the warehouse at {where} has no tables yet: run `trust db upgrade`")
    if current != head:
        return WarehouseState(False, "outdated", f"the warehouse at {where} is at schema revision {current}, this code "
                              f"needs {head}: run `trust db upgrade`")
    return WarehouseState(True, None, f"warehouse ready at {where} (schema {head})")


def require_warehouse(db_url: str) -> None:
    """Raise :class:`WarehouseUnavailable` with the reason unless the warehouse is reachable and migrated."""
    state = warehouse_state(db_url)
    if not state.ok:
        raise WarehouseUnavailable(state)


def create_database(db_url: str) -> bool:
    """Create the PostgreSQL database of ``db_url`` if it does not exist (connecting to the server's ``postgres``
    database). Returns True if it was created. SQLite files are created on first use."""
    from sqlalchemy import create_engine

    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        return False
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}).first()
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(url.database)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        admin.dispose()


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``admin_url`` (for tests and benchmarks), dropped afterwards
    even while connections to it are open."""
    import uuid

    from sqlalchemy import create_engine

    from trust.db.engine import dispose_engines

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
