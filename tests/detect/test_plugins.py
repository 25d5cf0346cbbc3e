"""A detector is one folder and one registry line: a toy detector written in a temporary package, named by
TRUST_DETECTORS, is scored by the nightly run and shows up in the merchant metrics, the analysts' queues, the report
and the run summary, without a change to any other file."""

from __future__ import annotations

import sys
import textwrap

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.test_pipeline import backfill
from trust import pipeline
from trust.db.engine import dispose_engines, read_frame, session_scope
from trust.db.tables import DetectorScore, MerchantMetric
from trust.detect import registry
from trust.detect.base import BaseDetector, missing_members

TOY = '''
"""Toy detector: listings priced under fifty yuan."""

from trust.detect.base import BaseDetector, Metric


def _table(session, business_date):
    from sqlalchemy import select

    from trust.db.tables import DetectorScore
    from trust.html import escape, table

    rows = session.execute(select(DetectorScore.entity_id, DetectorScore.score).where(
        DetectorScore.detector == "toy", DetectorScore.business_date == business_date,
        DetectorScore.label.is_not(None))).all()
    return table("Toy: listings under fifty yuan", ["listing", "price"], [[escape(r[0]), f"{r[1]:.2f}"] for r in rows])


class Toy(BaseDetector):
    name = "toy"
    entity = "listing"
    rules_version = "toy-1"
    shardable = True
    queue_labels = ("too_cheap", "ok")
    metrics = (Metric("toy_cheap_listings", "listings priced under fifty yuan", "五十元以下商品数"),)

    def inputs(self, session, window_start, window_end):
        from sqlalchemy import select

        from trust.db.engine import read_frame
        from trust.db.tables import Listing

        return read_frame(session, select(Listing.listing_id, Listing.merchant_id, Listing.price))

    def run(self, session, context):
        import json

        import numpy as np
        import pandas as pd

        listings = self.inputs(session, context.window_start, context.window_end)
        cheap = listings["price"].to_numpy(dtype=float) < 50
        reason = json.dumps([{"code": "under_fifty", "text": "priced under fifty yuan"}])
        return pd.DataFrame({"entity_id": listings["listing_id"], "entity_type": "listing",
                             "merchant_id": listings["merchant_id"], "score": listings["price"].astype(float),
                             "label": np.where(cheap, "too_cheap", None), "reasons": np.where(cheap, reason, "[]")})

    def merchant_metrics(self, window):
        flagged = window.scores[window.scores["label"].notna()]
        return flagged.groupby("merchant_id").size().rename("toy_cheap_listings").to_frame()

    def report_sections(self, session, business_date):
        return [_table(session, business_date)]


DETECTOR = Toy()
'''


@pytest.fixture
def toy_registered(tmp_path, monkeypatch):
    package = tmp_path / "plugins" / "toy_detector"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(TOY), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    monkeypatch.setenv("TRUST_DETECTORS", "toy_detector")
    registry.reload()
    yield
    monkeypatch.delenv("TRUST_DETECTORS")
    registry.reload()
    sys.modules.pop("toy_detector", None)


def test_a_toy_detector_in_its_own_package_runs_in_the_night_and_reaches_every_output(toy_registered, tmp_path, marketplace, last_day):
    assert registry.names()[-1] == "toy"
    settings = make_settings(tmp_path / "warehouse", marketplace / "landing")
    backfill(settings, last_day)
    summary = pipeline.run_all(settings, last_day)
    try:
        with session_scope(settings.db_url) as session:
            scores = read_frame(session, select(DetectorScore.entity_id, DetectorScore.label, DetectorScore.model_version)
                                .where(DetectorScore.detector == "toy", DetectorScore.business_date == last_day))
            metric = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.value)
                                .where(MerchantMetric.metric == "toy_cheap_listings", MerchantMetric.business_date == last_day))
    finally:
        dispose_engines()
    flagged = scores["label"].notna()
    assert len(scores) > 0 and flagged.any() and set(scores["model_version"]) == {"toy-1"}
    assert metric["value"].sum() == flagged.sum()  # every merchant's count of its flagged listings
    from trust.queues import list_queue

    queue = list_queue(settings, "toy", limit=500)
    # the flagged listings not yet decided by an analyst (the generated data has some listing verdicts)
    assert 0 < queue["total"] <= flagged.sum() and queue["items"][0]["reasons"][0]["code"] == "under_fifty"
    assert {item["item_id"] for item in queue["items"]} <= set(scores.loc[flagged, "entity_id"])
    report = (settings.reports_dir / last_day.isoformat() / "report.html").read_text(encoding="utf-8")
    assert "Toy: listings under fifty yuan" in report
    assert summary["flagged"]["toy"] == flagged.sum()


def test_a_module_without_a_detector_is_refused_by_name(tmp_path, monkeypatch):
    (tmp_path / "not_a_detector.py").write_text("DETECTOR = object()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRUST_DETECTORS", "not_a_detector")
    registry.reload()
    try:
        with pytest.raises(TypeError, match="not_a_detector defines no DETECTOR .* lacks name"):
            registry.detectors()
    finally:
        monkeypatch.delenv("TRUST_DETECTORS")
        registry.reload()


def test_the_built_in_detectors_follow_the_protocol():
    assert registry.names() == ("reviews", "listings", "complaints", "agents")
    for detector in registry.detectors().values():
        assert missing_members(detector) == [] and isinstance(detector, BaseDetector)
        assert detector.rules_version.startswith(detector.name.rstrip("s")[:5])
