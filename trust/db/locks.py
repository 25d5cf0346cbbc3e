"""One run of a business date at a time.

``date_lock(db_url, business_date, scope)`` holds the date (or one stage of it, ``scope``) for the calling process or
raises :class:`DateBusy` naming who holds it. On PostgreSQL it is a session advisory lock on a connection kept open
for the duration: the server releases it when the process dies, so a kill -9 leaves nothing behind. Elsewhere
(SQLite) it is a row in ``run_locks`` with the holder's host and pid, taken over when that process no longer exists.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import zlib
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from trust.db.engine import get_engine, session_scope
from trust.db.tables import RunLock


class DateBusy(RuntimeError):
    """Another process is already processing the business date (the message says who)."""


def _key(scope: str, business_date: dt.date | None = None) -> int:
    return zlib.crc32(f"trust:{scope}:{business_date.isoformat() if business_date else ''}".encode())


def serialise_transaction(session, name: str) -> None:
    """Wait until no other transaction holds ``name``, then hold it until this transaction ends (PostgreSQL's
    ``pg_advisory_xact_lock``; SQLite lets one writer in at a time by itself). For work that nights of different
    dates share, such as rebuilding overlapping days of review history."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(name)})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@contextmanager
def date_lock(db_url: str, business_date: dt.date, scope: str = "run") -> Iterator[None]:
    engine = get_engine(db_url)
    if engine.dialect.name == "postgresql":
        key = _key(scope, business_date)
        with engine.connect() as connection:
            if not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                holder = connection.execute(text(
                    "SELECT a.pid, a.client_addr, a.application_name, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.objid = :k "
                    "AND l.granted LIMIT 1"), {"k": key}).first()
                who = (f"PostgreSQL backend {holder.pid} ({holder.client_addr or 'local'}, connected since "
                       f"{holder.backend_start:%Y-%m-%d %H:%M})") if holder else "another run"
                raise DateBusy(f"date {business_date} is already being processed ({scope}) by {who}; "
                               "wait for it to finish, then run again")
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        return
    host, pid = socket.gethostname(), os.getpid()
    with session_scope(db_url) as session:
        held = session.execute(select(RunLock).where(RunLock.scope == scope, RunLock.business_date == business_date)).scalar_one_or_none()
        if held is not None and held.host == host and not _alive(held.pid):
            session.delete(held)  # its process is gone (killed): the date is free
            held = None
        if held is not None:
            raise DateBusy(f"date {business_date} is already being processed ({scope}) by process {held.pid} on {held.host} "
                           f"since {held.acquired_at:%Y-%m-%d %H:%M:%S}; wait for it to finish, then run again")
    try:
        with session_scope(db_url) as session:
            session.add(RunLock(scope=scope, business_date=business_date, host=host, pid=pid, acquired_at=dt.datetime.now()))
    except IntegrityError:
        raise DateBusy(f"date {business_date} is already being processed ({scope}) by another process that started just now") from None
    try:
        yield
    finally:
        with session_scope(db_url) as session:
            session.execute(delete(RunLock).where(RunLock.scope == scope, RunLock.business_date == business_date, RunLock.pid == pid))
