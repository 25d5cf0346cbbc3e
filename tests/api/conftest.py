"""A real HTTP server (uvicorn on a free loopback port) over a graded marketplace, with tokens of every role."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import update

from tests.conftest import START, make_settings
from trust import pipeline
from trust.api.app import create_app
from trust.api.auth import create_token
from trust.db.engine import dispose_engines, session_scope
from trust.db.tables import ApiToken
from trust.local_airflow import free_port  # noqa: F401  (re-exported for the API tests)


def graded_warehouse(folder, marketplace, last_day):
    """Settings of a warehouse holding the shared marketplace, backfilled and run for its last day."""
    settings = make_settings(folder, marketplace / "landing")
    day = START
    while day < last_day:
        pipeline.run_ingest(settings, day)
        day += dt.timedelta(days=1)
    pipeline.run_all(settings, last_day)
    return settings


@contextmanager
def serving(settings) -> Iterator[httpx.Client]:
    """The API over ``settings`` in a real uvicorn server on a free loopback port, and a client of it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        dispose_engines()


@pytest.fixture(scope="package")
def served(tmp_path_factory, marketplace, last_day):
    settings = graded_warehouse(tmp_path_factory.mktemp("served"), marketplace, last_day)
    tokens = {role: create_token(settings, f"test-{role}", role, 30) for role in ("service", "analyst", "admin")}
    tokens["expired"] = create_token(settings, "test-expired", "admin", 1)
    with session_scope(settings.db_url) as session:
        session.execute(update(ApiToken).where(ApiToken.name == "test-expired").values(expires_at=dt.datetime(2020, 1, 1)))
    with serving(settings) as client:
        yield {"client": client, "settings": settings, "tokens": tokens, "last_day": last_day}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
