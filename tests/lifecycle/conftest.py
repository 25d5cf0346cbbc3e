"""Lifecycle tests run on both warehouses the project supports."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings, scratch_postgres
from trust.db.engine import dispose_engines
from trust.lifecycle import registry


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path, marketplace):
    """Settings for an empty warehouse on SQLite, then on PostgreSQL, reading the shared marketplace's landing files."""
    registry._load.cache_clear()
    if request.param == "sqlite":
        yield make_settings(tmp_path / "var", marketplace / "landing")
    else:
        with scratch_postgres("trust_lifecycle") as url:
            yield make_settings(tmp_path / "var", marketplace / "landing", url)
            dispose_engines()
    dispose_engines()
