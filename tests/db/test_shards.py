"""Merchant shards: every merchant in exactly one shard, by a hash that never changes, and a night graded in N shards
identical, row for row, to the same night graded in one."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import START, make_settings
from trust import pipeline
from trust.db.engine import dispose_engines, read_table, reading_as_of, session_scope
from trust.db.shards import Shard, all_shards, shard_key
from trust.db.tables import (
    CreditScore, CreditScorePoint, DetectorScore, GateHold, Grade, GradeDocument, GradeNotice, Merchant, MerchantMetric, PlatformRate,
)

GRADING_OUTPUTS = (MerchantMetric, PlatformRate, CreditScore, CreditScorePoint, Grade, GradeDocument, GradeNotice)


def test_a_merchants_shard_key_is_a_fixed_hash_of_its_id():
    assert shard_key("M00001") == 2046634863  # CRC-32 without its sign bit: the same on every machine and run
    assert shard_key("店铺-上海-01") != shard_key("店铺-上海-02")


def test_a_shard_is_written_i_over_n_and_checked():
    assert Shard.parse("2/4") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"
    assert Shard.parse(None).whole and Shard.parse("0/1").whole
    for bad in ("4/4", "-1/4", "2", "a/b", "1/0"):
        with pytest.raises(ValueError, match="i/N"):
            Shard.parse(bad)


def test_every_merchant_falls_in_exactly_one_shard():
    ids = [f"M{i:05d}" for i in range(5000)]
    membership = [Shard(i, 8).holds(ids) for i in range(8)]
    assert all(sum(column) == 1 for column in zip(*membership))
    sizes = [sum(m) for m in membership]
    assert min(sizes) > 5000 / 8 * 0.85  # and the shards are about even


def test_the_shard_count_is_a_setting(tmp_path):
    env = {"TRUST_DATA_DIR": str(tmp_path)}
    assert make_settings(tmp_path, tmp_path).shards == 1
    assert pipeline.Settings.from_env({**env, "TRUST_SHARDS": "4"}).shards == 4
    assert pipeline.night_shards(pipeline.Settings.from_env({**env, "TRUST_SHARDS": "4"})) == ["0/4", "1/4", "2/4", "3/4"]
    for bad in ("0", "many", "5000"):
        with pytest.raises(ValueError, match="TRUST_SHARDS"):
            pipeline.Settings.from_env({**env, "TRUST_SHARDS": bad})


def _grading_outputs(settings, day) -> dict[str, pd.DataFrame]:
    with session_scope(settings.db_url) as session:
        frames = {table.__tablename__: read_table(session, table, table.business_date == day) for table in GRADING_OUTPUTS}
        frames["gate_holds"] = read_table(session, GateHold)
        frames["complaint scores"] = read_table(session, DetectorScore, DetectorScore.business_date == day,
                                                DetectorScore.detector == "complaints")
    return {name: frame.sort_values(list(frame.columns)[:3]).reset_index(drop=True) for name, frame in frames.items()}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_grading_in_shards_gives_the_grades_of_one_run(backend, tmp_path, marketplace, last_day, request):
    db_url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    settings = make_settings(tmp_path / "var", marketplace / "landing", db_url)
    day = START
    while day < last_day:
        pipeline.run_ingest(settings, day)
        day = day + pd.Timedelta(days=1).to_pytimedelta()
    one = pipeline.run_all(settings, last_day)  # one shard: the reference
    assert one["publish"]["status"] == "published"
    reference = _grading_outputs(settings, last_day)
    with session_scope(settings.db_url) as session:  # every merchant got its key when it was loaded
        assert session.execute(select(func.count()).where(Merchant.shard_key.is_(None))).scalar_one() == 0
        merchants = session.execute(select(func.count()).select_from(Merchant)).scalar_one()

    for count in (4, 3, 1):  # the same date graded again in 4 shards, then 3 (a changed setting leaves nothing stale), then 1
        sharded = dataclasses.replace(settings, shards=count)
        with reading_as_of(last_day):
            for shard in pipeline.detector_shards(sharded, "complaints"):  # a detector that judges each complaint alone
                pipeline.run_detector(sharded, last_day, "complaints", shard)
            for shard in all_shards(count):  # each shard sees only its merchants
                assert pipeline.run_merchant_metrics(sharded, last_day, str(shard))["shard"] == str(shard)
            decision = pipeline.run_grading(sharded, last_day)
        assert decision["status"] == "published", count
        again = _grading_outputs(sharded, last_day)
        for name, frame in reference.items():
            pd.testing.assert_frame_equal(again[name], frame, obj=f"{name} in {count} shards", check_exact=True)
    assert reference["grades"]["merchant_id"].nunique() == merchants
    dispose_engines()


def test_only_a_detector_that_keeps_to_one_merchant_runs_in_shards(settings, last_day):
    sharded = dataclasses.replace(settings, shards=4)
    assert pipeline.detector_shards(sharded, "complaints") == all_shards(4)
    assert pipeline.detector_shards(sharded, "reviews") == [Shard()]  # rings span shops
    with pytest.raises(ValueError, match="spans merchants"):
        pipeline.run_detector(sharded, last_day, "reviews", "1/4")


def test_a_shard_reads_and_writes_only_its_merchants(tmp_path, marketplace, last_day):
    settings = dataclasses.replace(make_settings(tmp_path / "var", marketplace / "landing"), shards=4)
    day = START
    while day <= last_day:
        pipeline.run_ingest(settings, day)
        day = day + pd.Timedelta(days=1).to_pytimedelta()
    with reading_as_of(last_day):
        for name in pipeline.registry.names():
            pipeline.run_detector(settings, last_day, name)
        facts = pipeline.run_merchant_metrics(settings, last_day, "1/4")
    with session_scope(settings.db_url) as session:
        ids = session.execute(select(Merchant.merchant_id)).scalars().all()
        written = set(session.execute(select(MerchantMetric.merchant_id).distinct()).scalars())
    assert written == {m for m, inside in zip(ids, Shard(1, 4).holds(ids)) if inside} and facts["merchants"] == len(written)
    with pytest.raises(RuntimeError, match="platform_rates"):  # the smoothing prior is platform-wide: computed once, first
        pipeline.run_credit_scores(settings, last_day, "1/4")
    with reading_as_of(last_day), pytest.raises(RuntimeError, match=f"cover {len(written)} of {len(ids)} merchants"):
        pipeline.run_platform_rates(settings, last_day)  # and from every shard's metrics, not some
    with reading_as_of(last_day):
        for shard in ("0/4", "2/4", "3/4"):
            pipeline.run_merchant_metrics(settings, last_day, shard)
        pipeline.run_platform_rates(settings, last_day)
        pipeline.run_credit_scores(settings, last_day, "1/4")
        with session_scope(settings.db_url) as session:  # metrics changed under the prior: the next credit shard refuses
            session.execute(MerchantMetric.__table__.update().where(MerchantMetric.metric == "orders",
                                                                    MerchantMetric.merchant_id == sorted(written)[0])
                            .values(value=MerchantMetric.value + 1))
        with pytest.raises(RuntimeError, match="run platform_rates again"):
            pipeline.run_credit_scores(settings, last_day, "2/4")
    dispose_engines()
