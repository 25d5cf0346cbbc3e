"""The model registry: shipped models become the first champions, a night pins its versions, promotion and rollback
change the next night's models, and nothing falls back to rules without the operator saying so."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from sqlalchemy import select

from tests.conftest import START, make_settings
from trust import pipeline
from trust.db.engine import read_frame, session_scope
from trust.db.tables import AuditEntry, DetectorScore, ModelPin, ModelRecord
from trust.detect.artifacts import MODEL_FILE, annotate_card
from trust.errors import ModelUnavailable
from trust.lifecycle import registry
from trust.lifecycle.store import ModelStore, content_version
from trust.settings import SHIPPED_MODELS


def _seed_folder(tmp_path, skip: tuple[str, ...] = ()):
    seed = tmp_path / "seed"
    for detector in ("reviews", "listings", "complaints"):
        if detector not in skip:
            shutil.copytree(SHIPPED_MODELS / detector, seed / detector)
    return seed


def _settings(tmp_path, marketplace, **env):
    settings = make_settings(tmp_path / "var", marketplace / "landing")
    return settings.with_overrides(**env)


def test_the_first_night_registers_the_shipped_models_as_champions_and_pins_them(settings, last_day):
    pipeline.prepare_warehouse(settings)
    pinned = registry.pin_models(settings, last_day)
    for detector in ("reviews", "listings", "complaints"):
        assert pinned[detector] == content_version(SHIPPED_MODELS / detector / MODEL_FILE)  # the version is the content hash
    assert pinned["agents"] == "agents-network-0.2"  # a rule-based detector keeps its rules' version
    with session_scope(settings.db_url) as session:
        records = read_frame(session, select(ModelRecord.detector, ModelRecord.status, ModelRecord.promoted_by))
        pins = read_frame(session, select(ModelPin.detector, ModelPin.mode).where(ModelPin.business_date == last_day))
    assert sorted(records["detector"]) == ["complaints", "listings", "reviews"]
    assert set(records["status"]) == {"champion"} and set(records["promoted_by"]) == {"seed"}
    assert dict(zip(pins["detector"], pins["mode"])) == {"reviews": "model", "listings": "model", "complaints": "model", "agents": "rules"}
    # The artifact is kept in the store under its hash: the shipped folder can change, the version cannot.
    assert (settings.data_dir / "model_store" / "listings" / pinned["listings"] / MODEL_FILE).exists()


def test_scores_carry_the_version_the_night_pinned(warehouse, last_day):
    settings = warehouse
    pipeline.run_ingest(settings, last_day)
    pinned = pipeline.run_pin_models(settings, last_day)["models"]
    pipeline.run_detector(settings, last_day, "complaints")
    with session_scope(settings.db_url) as session:
        versions = set(session.execute(select(DetectorScore.model_version).where(DetectorScore.detector == "complaints")).scalars())
    assert versions == {pinned["complaints"]}


def test_a_missing_champion_fails_naming_the_file_and_the_fix(tmp_path, marketplace, last_day):
    settings = _settings(tmp_path, marketplace, seed_models=_seed_folder(tmp_path, skip=("complaints",)))
    pipeline.prepare_warehouse(settings)
    with pytest.raises(ModelUnavailable) as failure:
        registry.pin_models(settings, last_day)
    message = str(failure.value)
    assert str(tmp_path / "seed" / "complaints" / MODEL_FILE) in message
    assert "trust models train --detector complaints" in message and "TRUST_RULES_MODE=complaints" in message


def test_rules_mode_is_chosen_by_the_operator_and_has_its_own_version(tmp_path, marketplace, last_day, monkeypatch):
    settings = _settings(tmp_path, marketplace, seed_models=_seed_folder(tmp_path, skip=("complaints",)),
                         rules_mode=frozenset({"complaints"}))
    day = START
    while day <= last_day:  # the whole catalogue, so the listing stage has listings and their complaints to read
        pipeline.run_ingest(settings, day)
        day += dt.timedelta(days=1)
    assert registry.pin_models(settings, last_day)["complaints"] == "rules:complaints-0.2"
    pipeline.run_detector(settings, last_day, "complaints")
    def no_model():
        raise AssertionError("the shipped complaint model was loaded in complaints' rules mode")

    monkeypatch.setattr("trust.detect.complaints.stage.classifier", no_model)
    pipeline.run_detector(settings, last_day, "listings")  # its sellers' complaint history is read by the keywords too
    with session_scope(settings.db_url) as session:
        versions = set(session.execute(select(DetectorScore.model_version).where(DetectorScore.detector == "complaints")).scalars())
    assert versions == {"rules:complaints-0.2"}


def test_an_unloadable_champion_fails_the_stage_naming_the_file(settings, last_day):
    pipeline.run_ingest(settings, last_day)
    version = registry.pin_models(settings, last_day)["listings"]
    (settings.data_dir / "model_store" / "listings" / version / MODEL_FILE).write_bytes(b"not a model")
    registry._load.cache_clear()
    with pytest.raises(ModelUnavailable, match=rf"listings model {version} at .*{MODEL_FILE} cannot be loaded.*TRUST_RULES_MODE=listings"):
        pipeline.run_detector(settings, last_day, "listings")
    registry._load.cache_clear()


def _second_listing_model(settings, tmp_path) -> str:
    """The shipped listing model with another threshold: another artifact, so another version."""
    import joblib

    folder = tmp_path / "other"
    shutil.copytree(SHIPPED_MODELS / "listings", folder)
    model = joblib.load(folder / MODEL_FILE)
    model.flag_at_ = 0.6
    joblib.dump(model, folder / MODEL_FILE, compress=3)
    annotate_card(folder, threshold={"flag_at": 0.6})
    with session_scope(settings.db_url) as session:
        return registry.register(session, settings, "listings", folder, status="challenger", trained_by="a test").version


def test_promotion_reaches_the_next_night_and_rollback_restores_the_champion_before(warehouse, last_day, tmp_path):
    settings = warehouse
    pipeline.prepare_warehouse(settings)
    first = registry.pin_models(settings, last_day)["listings"]
    second = _second_listing_model(settings, tmp_path)
    assert second != first
    with pytest.raises(ValueError, match="needs a reason"):
        registry.promote(settings, "listings", second, "ana", " ")
    outcome = registry.promote(settings, "listings", second[:6], "ana", "better on last week's test buys")  # a prefix will do
    assert outcome == {"detector": "listings", "champion": second, "previous": first, "from": "the next night's run"}
    assert registry.pins(settings, last_day)["listings"] == ("model", first)  # tonight keeps what it pinned
    next_day = last_day.replace(day=last_day.day + 1)
    assert registry.pin_models(settings, next_day)["listings"] == second
    assert registry.show_model(settings, "listings")["version"] == second

    registry.rollback(settings, "listings", "ben", "flags too much")
    assert registry.show_model(settings, "listings")["version"] == first
    assert registry.show_model(settings, "listings", second)["status"] == "retired"
    with session_scope(settings.db_url) as session:
        audit = read_frame(session, select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id))
    moves = audit[audit["action"].isin(["model_promoted", "model_rolled_back"])]
    assert list(moves["actor"])[-2:] == ["ana", "ben"]
    assert json.loads(moves["detail"].iloc[-1]) == {"detector": "listings", "version": first, "previous": second, "reason": "flags too much"}
    with pytest.raises(LookupError, match="no listings model version starts with 'ffff'"):
        registry.promote(settings, "listings", "ffff", "ana", "typo")


def test_a_model_that_cannot_be_loaded_is_not_promoted(settings, last_day, tmp_path):
    pipeline.prepare_warehouse(settings)
    registry.pin_models(settings, last_day)
    second = _second_listing_model(settings, tmp_path)
    (settings.data_dir / "model_store" / "listings" / second / MODEL_FILE).write_bytes(b"truncated")
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        registry.promote(settings, "listings", second, "ana", "looks better")
    assert registry.show_model(settings, "listings")["version"] != second


def test_the_store_can_be_any_fsspec_url(tmp_path):
    store = ModelStore("memory://trust-test-store", tmp_path / "cache")
    version = store.put("listings", SHIPPED_MODELS / "listings")
    assert store.put("listings", SHIPPED_MODELS / "listings") == version  # the same content is the same version
    local = store.local_dir("listings", version)
    assert local.is_relative_to(tmp_path / "cache") and content_version(local / MODEL_FILE) == version
    assert store.uri("listings", version) == f"memory://trust-test-store/listings/{version}"
