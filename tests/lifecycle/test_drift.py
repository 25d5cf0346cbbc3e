"""Drift: each model's inputs and score on the night's new rows against its reference, and its flag rate against the
last 30 nights; a breach is a quality-gate warning, or a hold when the model policy says so."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select, update

from tests.conftest import START
from trust import pipeline
from trust.db.engine import insert_rows, read_frame, session_scope
from trust.db.tables import Complaint, DriftCheck, ModelRecord
from trust.lifecycle.drift import drift_verdict, run_drift
from trust.lifecycle.policy import load_policy
from trust.scoring import decile_reference, population_stability, stability_against


def test_psi_against_a_stored_reference_is_the_psi_of_the_two_samples():
    rng = np.random.default_rng(0)
    before, after = rng.normal(size=2000), rng.normal(0.4, 1.0, size=1500)
    reference = decile_reference(before)
    assert stability_against(reference, after) == pytest.approx(population_stability(before, after), abs=1e-12)
    assert stability_against(reference, before) == pytest.approx(0.0, abs=1e-3)
    assert decile_reference(np.full(10, 3.0)) is None and decile_reference(np.array([])) is None


@pytest.fixture
def two_nights(warehouse, last_day):
    settings = warehouse
    day = START
    while day <= last_day:
        pipeline.run_ingest(settings, day)
        day += dt.timedelta(days=1)
    return settings, last_day - dt.timedelta(days=1), last_day


def _night(settings, day):
    pipeline.run_pin_models(settings, day)
    pipeline.run_detector(settings, day, "complaints")
    return run_drift(settings, day)


def test_a_shipped_model_is_compared_with_its_first_night_and_a_shift_in_its_inputs_is_a_warning(two_nights):
    settings, first, second = two_nights
    assert _night(settings, first)["breaches"] == []
    with session_scope(settings.db_url) as session:
        version = session.execute(select(ModelRecord.version).where(ModelRecord.detector == "complaints")).scalar_one()
        profile = session.get(ModelRecord, ("complaints", version)).profile
        assert f"the first night it scored ({first}" in profile
        # The second night's complaints arrive ten times as long (a new app pastes the order page into them).
        start = dt.datetime.combine(second, dt.time())
        session.execute(update(Complaint).where(Complaint.created_at >= start).values(text=Complaint.text + "。" + "订单详情" * 60))
    result = _night(settings, second)
    assert any("text_chars: PSI" in breach for breach in result["breaches"])
    with session_scope(settings.db_url) as session:
        rows = read_frame(session, select(DriftCheck.measure, DriftCheck.breach).where(DriftCheck.business_date == second,
                                                                                    DriftCheck.detector == "complaints"))
        assert set(rows["measure"]) == {"psi:text_chars", "psi:score", "flag_rate"}
        passed, breaches, _, detail = drift_verdict(session, second)
        assert passed and breaches >= 1 and detail.startswith("warning: complaints text_chars")
        held = dataclasses.replace(load_policy(), drift=dataclasses.replace(load_policy().drift, hold_grades=True))
        passed, _, _, detail = drift_verdict(session, second, held)
        assert not passed and detail.startswith("holding (model policy hold_grades)")


def test_a_flag_rate_far_from_the_last_nights_is_a_breach(two_nights):
    settings, first, second = two_nights
    _night(settings, first)
    version = pipeline.run_pin_models(settings, second)["models"]["reviews"]
    past = [{"business_date": second - dt.timedelta(days=k), "detector": "reviews", "measure": "flag_rate", "model_version": version,
             "value": 0.001, "reference": None, "limit": 2.0, "breach": False, "text": "earlier night"} for k in range(2, 9)]
    with session_scope(settings.db_url) as session:
        insert_rows(session, DriftCheck, past)
    pipeline.run_detector(settings, second, "reviews")
    result = run_drift(settings, second)
    assert any(b.startswith("reviews flag rate") and "over the last 7 nights" in b for b in result["breaches"]), result
