"""What happened to each stage of each business date (``stage_runs``): recorded by the stage itself, so a failed,
held or undelivered date is visible in the run summary and the report, not only in Airflow's logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from trust.db.engine import session_scope
from trust.db.tables import StageRun
from trust.errors import NothingDelivered
from trust.settings import Settings

PIPELINE_ACTOR = "pipeline"  # the actor of every decision the nightly run takes itself


@contextmanager
def recorded_stage(settings: Settings, business_date: dt.date, stage: str) -> Iterator[dict]:
    """Record the stage as running, then as succeeded, failed (with the error) or skipped (nothing delivered); the
    caller may set ``status``/``error`` of the yielded dict (publish sets 'held')."""
    started = _record_stage(settings, business_date, stage, "running")
    outcome = {"status": "succeeded", "error": None}
    try:
        yield outcome
    except NothingDelivered as exc:
        _record_stage(settings, business_date, stage, "skipped", started, str(exc))
        raise
    except Exception as exc:
        _record_stage(settings, business_date, stage, "failed", started, f"{type(exc).__name__}: {exc}")
        raise
    _record_stage(settings, business_date, stage, outcome["status"], started, outcome["error"])


def _record_stage(settings: Settings, business_date: dt.date, stage: str, status: str,
                  started: dt.datetime | None = None, error: str | None = None) -> dt.datetime:
    """Replace the stage's row for the date in its own transaction; returns when the stage started."""
    now = dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)
    started = started or now
    with session_scope(settings.db_url) as session:
        session.execute(delete(StageRun).where(StageRun.business_date == business_date, StageRun.stage == stage))
        session.add(StageRun(business_date=business_date, stage=stage, status=status, started_at=started,
                             finished_at=None if status == "running" else now, error=(error or None) and error[:4000]))
    return started


def stage_outcomes(session: Session, business_date: dt.date) -> list[dict]:
    """The date's grading stages that did not succeed (failed, skipped, held or still running), in the order they
    started; the summary and the report, which read this, are left out."""
    rows = session.execute(select(StageRun).where(StageRun.business_date == business_date, StageRun.status != "succeeded",
                                                  StageRun.stage.not_in(("summary", "report")))  # they are the ones asking
                           .order_by(StageRun.started_at, StageRun.stage)).scalars().all()
    return [{"stage": r.stage, "status": r.status, "error": r.error} for r in rows]


def run_outcome(publish_status: str | None, problems: list[dict]) -> str:
    """One phrase for the date: its publish decision, else why there is none (a failed or skipped stage)."""
    if publish_status is not None:
        return publish_status
    for status, phrase in (("failed", "failed at {}"), ("skipped", "not run: nothing delivered"), ("running", "running: {}")):
        stages = [p["stage"] for p in problems if p["status"] == status]
        if stages:
            return phrase.format(", ".join(stages))
    return "not decided"
