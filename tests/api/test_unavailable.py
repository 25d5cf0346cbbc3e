"""A service whose warehouse is missing, not migrated or down answers 503 with what to do; a new one, 404."""

from __future__ import annotations

from tests.api.conftest import serving
from tests.conftest import make_settings
from trust.settings import Settings


def test_a_warehouse_that_was_never_created_answers_503_with_the_command_that_creates_it(tmp_path):
    settings = make_settings(tmp_path / "nowhere", tmp_path / "landing")
    with serving(settings) as client:
        for path in ("/merchants/M000001/grade", "/health", "/merchants/M000001/grades"):
            answer = client.get(path)
            assert answer.status_code == 503, path
            assert answer.headers["retry-after"] == "30"
            body = answer.json()
            assert body["error"] == "the warehouse is unavailable" and "trust db upgrade" in body["problems"][0]["problem"]


def test_a_migrated_warehouse_with_nothing_published_yet_answers_404_saying_so(tmp_path):
    from trust.pipeline import prepare_warehouse

    settings = make_settings(tmp_path / "var", tmp_path / "landing")
    prepare_warehouse(settings)
    with serving(settings) as client:
        assert client.get("/merchants/M000001/grade").json() == {"error": "no grades have been published yet"}
        assert client.post("/grades/lookup", json={"merchant_ids": ["M000001"]}).status_code == 404
        assert client.get("/health").json() == {"status": "ok", "published": None}


def test_postgresql_down_answers_503_naming_the_server_and_never_500(tmp_path):
    settings = Settings.from_env({"TRUST_DATA_DIR": str(tmp_path), "TRUST_DB_URL": "postgresql+psycopg2://postgres@127.0.0.1:1/trust"})
    with serving(settings) as client:
        answer = client.get("/merchants/M000001/grade")
        assert answer.status_code == 503
        assert "Is PostgreSQL running and listening on 127.0.0.1:1?" in answer.json()["problems"][0]["problem"]
        assert client.post("/grades/lookup", json={"merchant_ids": ["M1"]}).status_code == 503
