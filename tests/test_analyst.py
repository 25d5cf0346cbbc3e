"""Analyst actions on grades: overrides, appeals, held gates, backtests; each one audited."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import select

from tests.conftest import START, make_settings
from trust import pipeline
from trust.analyst import add_override, clear_gate_hold, decide_appeal, file_appeal, revoke_override
from trust.backtest import backtest
from trust.db.engine import dispose_engines, read_frame, read_table, session_scope
from trust.db.tables import AuditEntry, GateHold, Grade, GradeNotice, MerchantMetric, Order
from trust.settings import SHIPPED_DATA


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory, marketplace, last_day):
    """The marketplace graded on its last two days."""
    settings = make_settings(tmp_path_factory.mktemp("two-nights"), marketplace / "landing")
    day = START
    while day < last_day - dt.timedelta(days=1):
        pipeline.run_ingest(settings, day)
        day += dt.timedelta(days=1)
    pipeline.run_all(settings, last_day - dt.timedelta(days=1))
    pipeline.run_all(settings, last_day)
    yield settings
    dispose_engines()


def metric(settings, merchant_id, name, day):
    with session_scope(settings.db_url) as session:
        return session.execute(select(MerchantMetric.value).where(MerchantMetric.business_date == day,
                               MerchantMetric.merchant_id == merchant_id, MerchantMetric.metric == name)).scalar_one()


def audit(settings) -> pd.DataFrame:
    with session_scope(settings.db_url) as session:
        return read_table(session, AuditEntry)


def test_grades_carry_the_previous_tier_and_notices_explain_every_change(two_nights, last_day):
    with session_scope(two_nights.db_url) as session:
        grades = read_table(session, Grade, Grade.business_date == last_day)
        notices = read_table(session, GradeNotice, GradeNotice.business_date == last_day)
    assert grades["previous_tier"].notna().all()
    changed = grades[grades["tier"] != grades["previous_tier"]]
    assert set(notices["merchant_id"]) == set(changed["merchant_id"])
    kept = grades[grades["tier"] == grades["previous_tier"]]
    assert (kept["effective_from"] < last_day).all() and (changed["effective_from"] == last_day).all()
    if len(notices):
        assert notices["text_zh"].str.startswith("您的店铺等级已由").all() and notices["text_en"].str.startswith("Your shop's grade").all()


def test_an_upheld_appeal_removes_the_defect_and_the_recompute_it_queues_regrades_the_date(two_nights, last_day,
                                                                                          airflow_db, monkeypatch):
    """The decision only queues the recompute; the trust_recompute DAG (under dag.test()) runs it."""
    from airflow.dag_processing.dagbag import DagBag

    from trust.db.tables import RecomputeRequest

    with session_scope(two_nights.db_url) as session:
        defect = session.execute(select(Order.order_id, Order.merchant_id).where(
            Order.status == "refunded", Order.refund_reason.in_(["quality", "counterfeit", "not_as_described"]),
            Order.ordered_at >= dt.datetime.combine(START, dt.time()))).first()
    order_id, merchant_id = defect
    before = metric(two_nights, merchant_id, "order_defects", last_day)
    appeal = file_appeal(two_nights, merchant_id, "order", order_id, "the carrier broke it: see the courier's report")
    result = decide_appeal(two_nights, appeal, True, "analyst_li", "courier damage confirmed", recompute_date=last_day)
    assert result["status"] == "upheld" and result["recompute"]["status"] == "queued"
    assert result["recompute"]["business_date"] == last_day.isoformat()
    assert metric(two_nights, merchant_id, "order_defects", last_day) == before  # nothing recomputed in the decision

    monkeypatch.setenv("TRUST_DATA_DIR", str(two_nights.data_dir))
    monkeypatch.setenv("TRUST_LANDING_DIR", str(two_nights.landing_dir))
    bag = DagBag(dag_folder=str(SHIPPED_DATA.parent / "dags"))
    assert bag.import_errors == {}
    run = bag.dags["trust_recompute"].test()
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert metric(two_nights, merchant_id, "order_defects", last_day) == before - 1
    with session_scope(two_nights.db_url) as session:
        request = session.get(RecomputeRequest, result["recompute"]["request_id"])
        assert request.done_at is not None and request.outcome.startswith("published")
    assert pipeline.run_requested_recomputes(two_nights) == []  # done once: the next run finds nothing queued
    actions = list(audit(two_nights)["action"])
    assert actions[-2:] == ["appeal_filed", "appeal_upheld"]
    with pytest.raises(ValueError, match="already upheld by analyst_li"):
        decide_appeal(two_nights, appeal, False, "analyst_wang", "second look")
    with pytest.raises(ValueError, match="belongs to"):
        file_appeal(two_nights, "M000001" if merchant_id != "M000001" else "M000002", "order", order_id, "not mine")


def test_overrides_are_revocable_and_every_action_is_audited(two_nights, last_day):
    with session_scope(two_nights.db_url) as session:
        merchant_id = session.execute(select(Grade.merchant_id).where(Grade.business_date == last_day)).scalars().first()
    override = add_override(two_nights, merchant_id, "D", "under investigation", "analyst_wang", START, last_day)
    pipeline.run_grades(two_nights, last_day)
    revoke_override(two_nights, override, "analyst_wang", "investigation closed")
    pipeline.run_grades(two_nights, last_day)
    with session_scope(two_nights.db_url) as session:
        grade = session.execute(select(Grade).where(Grade.business_date == last_day, Grade.merchant_id == merchant_id)).scalar_one()
    assert "override" not in grade.decided_by
    entries = audit(two_nights)
    mine = entries[entries["merchant_id"] == merchant_id]
    assert list(mine["action"])[-2:] == ["override_added", "override_revoked"]
    assert json.loads(mine.iloc[-1]["detail"])["reason"] == "investigation closed"


def test_a_held_gate_is_recorded_once_and_cleared_only_by_an_analyst(two_nights, last_day):
    with session_scope(two_nights.db_url) as session:
        holds = read_table(session, GateHold)
    assert not holds.empty and holds.duplicated(["merchant_id", "gate"]).sum() == 0
    assert set(holds["gate"]) <= {"confirmed_counterfeit_cases", "pyramid_flagged"}
    hold = holds.iloc[0]
    clear_gate_hold(two_nights, hold["merchant_id"], hold["gate"], "analyst_chen", "reviewed: evidence stands but remedied")
    with pytest.raises(ValueError, match="no active hold"):
        clear_gate_hold(two_nights, hold["merchant_id"], hold["gate"], "analyst_chen", "again")
    assert audit(two_nights).iloc[-1]["action"] == "gate_cleared"


def test_a_backtest_reports_who_would_move_and_publishes_nothing(two_nights, last_day, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text((SHIPPED_DATA / "thresholds.toml").read_text()
                      .replace('version = "thresholds-2026.11-2"', 'version = "strict-test"')
                      .replace('A = { min_score = 850', 'A = { min_score = 990'))
    with session_scope(two_nights.db_url) as session:
        before = read_frame(session, select(Grade.business_date, Grade.merchant_id, Grade.tier))
    result = backtest(two_nights, last_day - dt.timedelta(days=3), last_day, strict)
    assert [d["business_date"] for d in result.days] == [str(last_day - dt.timedelta(days=1)), str(last_day)]
    assert len(result.skipped) == 2 and "no stored metrics" in result.skipped[0]
    moved = result.movers
    assert len(moved) and set(moved["tier_actual"]) == {"A"} and set(moved["tier_backtest"]) == {"B"}
    assert moved["why"].str.contains("→ tier B|stays B: a move from B needs", regex=True).all() and result.csv_path.is_file()
    with session_scope(two_nights.db_url) as session:
        after = read_frame(session, select(Grade.business_date, Grade.merchant_id, Grade.tier))
    pd.testing.assert_frame_equal(before, after)


def test_an_appeal_with_a_recompute_date_beyond_the_data_is_refused_before_anything_is_written(two_nights, last_day):
    from trust.db.tables import Appeal

    with session_scope(two_nights.db_url) as session:
        order_id, merchant_id = session.execute(select(Order.order_id, Order.merchant_id).limit(1)).first()
    appeal = file_appeal(two_nights, merchant_id, "order", order_id, "the buyer withdrew it")
    with pytest.raises(ValueError, match="is after the latest business date with data"):
        decide_appeal(two_nights, appeal, True, "analyst_li", "ok", recompute_date=last_day + dt.timedelta(days=400))
    with session_scope(two_nights.db_url) as session:
        assert session.get(Appeal, appeal).status == "filed"  # the appeal was not decided half-way
