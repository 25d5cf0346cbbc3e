"""The service polled while the night reruns: every answer is the gated grade or "nothing published" for a moment,
never a grade the quality gate has not passed, never an error (issue 15)."""

from __future__ import annotations

import datetime as dt
import threading
import time

from tests.api.conftest import graded_warehouse, serving
from trust import pipeline
from trust.db.engine import session_scope
from trust.db.tables import Grade


def test_polling_a_grade_during_a_rerun_sees_only_the_gated_grade_or_nothing(tmp_path, marketplace, last_day):
    settings = graded_warehouse(tmp_path / "var", marketplace, last_day)
    with session_scope(settings.db_url) as session:
        merchants = session.query(Grade.merchant_id).filter(Grade.business_date == last_day).order_by(Grade.merchant_id).limit(5).all()
    merchants = [m[0] for m in merchants]
    with serving(settings) as client:
        def grade(merchant: str) -> tuple[int, dict]:
            response = client.get(f"/merchants/{merchant}/grade")
            body = response.json()
            body.pop("published", None)  # the decision row is new after the rerun; the grade itself must not be
            return response.status_code, body

        gated = {m: grade(m) for m in merchants}
        assert all(status == 200 for status, _ in gated.values())
        rerun = threading.Thread(target=pipeline.run_all, args=(settings, last_day))
        rerun.start()
        seen: dict[int, int] = {}
        while rerun.is_alive():
            for merchant in merchants:
                status, body = grade(merchant)
                seen[status] = seen.get(status, 0) + 1
                if status == 200:
                    assert body == gated[merchant][1], f"{merchant}: a grade the gate has not passed was served"
                else:
                    assert status == 404 and "published" in body["error"], (status, body)
            time.sleep(0.01)
        rerun.join()
        assert sum(seen.values()) >= 20, seen  # the service was asked throughout the night
        assert grade(merchants[0]) == gated[merchants[0]]  # and serves the rerun's gated grade afterwards


def test_a_cached_publication_never_serves_grades_its_date_was_rerun_with(tmp_path, marketplace, last_day):
    from trust.analyst import add_override

    settings = graded_warehouse(tmp_path / "var", marketplace, last_day)
    with session_scope(settings.db_url) as session:
        merchant, tier = session.query(Grade.merchant_id, Grade.tier).filter(Grade.business_date == last_day, Grade.tier == "A").first()
    with serving(settings) as client:
        assert client.get(f"/merchants/{merchant}/grade").json()["tier"] == "A"  # the service now caches the publication
        add_override(settings, merchant, "C", "test: a rerun that changes a grade", "analyst_li", last_day,
                     last_day + dt.timedelta(days=30))
        with pipeline.reading_as_of(last_day):
            pipeline.run_grades(settings, last_day)  # the rerun's grades are written; its gate has not run
        during = client.get(f"/merchants/{merchant}/grade")  # well within the cache's few seconds
        assert during.status_code == 404, during.json()  # not the rerun's ungated C
        with pipeline.reading_as_of(last_day):
            pipeline.run_quality_gate(settings, last_day)
            pipeline.run_publish(settings, last_day)
        assert client.get(f"/merchants/{merchant}/grade").json()["tier"] == "C"  # gated now
