"""Orchestration of the nightly stages, plain functions of (settings, business_date): each reads the warehouse,
replaces its own output partition for that date in one transaction, and returns a small dict of facts (for logs and
XCom). Ingest, the detectors and the summary are run from here; grading lives in ``trust.grading`` and the gate and
publication in ``trust.publishing`` (their stages are re-exported here under the names orchestrators use).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import numpy as np
from sqlalchemy import func, select

from trust.db.engine import read_frame, read_table, reading_as_of, replace_partition, session_scope
from trust.db.locks import date_lock
from trust.db.shards import Shard, all_shards
from trust.db.migrate import upgrade_database
from trust.db.tables import DetectorScore, Grade, IngestLog, PublishLog
from trust.detect import registry
from trust.errors import GradesHeld, NotHeld  # noqa: F401  (NotHeld is re-exported)
from trust.grading import (  # noqa: F401  (the grading stages, re-exported: orchestrators and tests name them here)
    Window, evaluation_window, grade_version, graded_version, load_metrics, previous_grades, run_credit_scores, run_grades,
    run_merchant_metrics, run_platform_rates, write_grade_documents,
)
from trust.ingest.loader import ingest_partition
from trust.publishing import last_published, release_held, run_publish, run_quality_gate, volume_check  # noqa: F401
from trust.report import build_report
from trust.runs import recorded_stage, run_outcome, stage_outcomes
from trust.scoring import tier_counts
from trust.settings import Settings
from trust.stages import GRADING_STAGES, SHARDED_STAGES
from trust.thresholds import load_thresholds

log = logging.getLogger(__name__)


def prepare_warehouse(settings: Settings) -> None:
    """Create or migrate the warehouse schema (idempotent)."""
    upgrade_database(settings.db_url)


def run_ingest(settings: Settings, business_date: dt.date) -> dict:
    prepare_warehouse(settings)
    result = ingest_partition(settings, business_date)
    return {"business_date": business_date.isoformat(), "entities": result.totals()}


def run_detector(settings: Settings, business_date: dt.date, name: str, shard: Shard | str | None = None) -> dict:
    """Run one detector over the evaluation window and replace its scores for ``business_date`` (a ``shardable``
    detector's: those of the merchants of ``shard``, default all)."""
    from trust.detect.base import StageContext
    from trust.lifecycle.registry import pinned_model

    detector = registry.get(name)
    shard = Shard.parse(shard)
    if not shard.whole and not detector.shardable:
        raise ValueError(f"detector {name} spans merchants: it runs once, not per shard (asked for shard {shard})")
    window = evaluation_window(business_date, load_thresholds(settings.thresholds_path), long=True)
    model, version = pinned_model(settings, business_date, name)  # the version the night pinned at its start
    # Another detector's model a stage reads (the listing stage categorises sellers' complaints): the night's pin too.
    context = StageContext(business_date, window.start, window.end, model, version,
                           pinned=lambda other: pinned_model(settings, business_date, other)[0], shard=shard)
    with session_scope(settings.db_url) as session:
        scores, extra_tables = detector.score(session, context)
        scores = scores.assign(business_date=business_date, detector=name, model_version=version)
        written = replace_partition(session, DetectorScore, business_date, scores, detector=name,
                                    where=[shard.has(DetectorScore.merchant_id)])
        for table, frame in extra_tables.items():
            replace_partition(session, table, business_date, frame,
                              where=[] if shard.whole else [shard.has(table.__table__.c.merchant_id)])
    flagged = int(scores["label"].notna().sum())
    log.info("detector %s on %s%s: %d scored, %d flagged", name, business_date, "" if shard.whole else f" shard {shard}",
             written, flagged)
    return {"detector": name, "shard": str(shard), "scored": written, "flagged": flagged, "model_version": version}


def detector_shards(settings: Settings, name: str) -> list[Shard]:
    """The tasks of a detector in a night: one per merchant shard when it is ``shardable``, else one."""
    return all_shards(settings.shards) if registry.get(name).shardable else [Shard()]


def run_pin_models(settings: Settings, business_date: dt.date) -> dict:
    """The night's first step after ingest: the model version each detector scores with (the champions now)."""
    from trust.lifecycle.registry import pin_models

    return {"models": pin_models(settings, business_date)}


def run_model_drift(settings: Settings, business_date: dt.date) -> dict:
    """After the detectors: each model's inputs and scores on the night's new rows against its reference."""
    from trust.lifecycle.drift import run_drift

    return run_drift(settings, business_date)


def summarise_run(settings: Settings, business_date: dt.date, worst: int = 10) -> dict:
    """The night's result: tier distribution, publish decision, worst merchants with reasons; also written as JSON."""
    with session_scope(settings.db_url) as session:
        grades = read_table(session, Grade, Grade.business_date == business_date)
        decision = session.execute(select(PublishLog).where(PublishLog.business_date == business_date)
                                   .order_by(PublishLog.id.desc()).limit(1)).scalar_one_or_none()
        ingest = read_table(session, IngestLog, IngestLog.business_date == business_date)
        labelled = read_frame(session, select(DetectorScore.detector, DetectorScore.label, func.count().label("n"))
                              .where(DetectorScore.business_date == business_date, DetectorScore.label.is_not(None))
                              .group_by(DetectorScore.detector, DetectorScore.label))
        problems = stage_outcomes(session, business_date)
        from trust.lookup import night_models

        models = night_models(session, business_date)
    graded = grades[grades["tier"] != "N"].sort_values(["score", "merchant_id"]) if not grades.empty else grades
    worst_rows = []
    for row in graded.head(worst).itertuples():
        decided = json.loads(row.decided_by)
        worst_rows.append({"merchant_id": row.merchant_id, "tier": row.tier, "score": row.score,
                           "reasons": [d["text"] for d in decided[:4]]})
    summary = {
        "business_date": business_date.isoformat(),
        "outcome": run_outcome(decision.status if decision else None, problems),
        "publish": {"status": decision.status, "grade_version": decision.grade_version, "reason": decision.reason} if decision else None,
        "stage_problems": problems,
        "tiers": tier_counts(grades["tier"]) if not grades.empty else {},
        "ingest": {row.entity: {"rows_in": int(row.rows_in), "loaded": int(row.rows_loaded), "quarantined": int(row.rows_quarantined)}
                   for row in ingest.groupby("entity")[["rows_in", "rows_loaded", "rows_quarantined"]].sum().reset_index().itertuples()}
        if not ingest.empty else {},
        "flagged": {name: int(part["n"].sum()) for name, part in labelled.groupby("detector") if registry.flags(name)},
        "by_category": {name: {row.label: int(row.n) for row in part.itertuples()}
                        for name, part in labelled.groupby("detector") if not registry.flags(name)},
        "models": models,
        "worst_merchants": worst_rows,
        "warehouse": settings.db_url,
    }
    out_dir = settings.reports_dir / business_date.isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8")
    summary["summary_path"] = str(path)
    return summary


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)


def run_all(settings: Settings, business_date: dt.date, ingest: bool = True) -> dict:
    """Every stage in DAG order, without Airflow (for the CLI, benchmarks and tests), each outcome recorded in
    ``stage_runs`` as under Airflow. One run of a date at a time: a second one raises
    :class:`trust.db.locks.DateBusy` naming the first."""
    prepare_warehouse(settings)
    with date_lock(settings.db_url, business_date, "run"):
        if ingest:
            with recorded_stage(settings, business_date, "ingest"):
                run_ingest(settings, business_date)
        with recorded_stage(settings, business_date, "pin_models"):
            run_pin_models(settings, business_date)
        with reading_as_of(business_date):  # every later stage sees the inputs as known on the date
            for name in registry.names():
                for shard in detector_shards(settings, name):
                    with recorded_stage(settings, business_date, stage_key("detect", name, shard)):
                        run_detector(settings, business_date, name, shard)
            with recorded_stage(settings, business_date, "model_drift"):
                run_model_drift(settings, business_date)
            run_grading(settings, business_date)
            summary = summarise_run(settings, business_date)
            summary["report_path"] = build_report(settings, business_date)["report_path"]
            return summary




def stage_key(stage: str, *args) -> str:
    """A stage's name in ``stage_runs`` and in the date's locks: ``grades``, ``detect:reviews``, ``grades:2/4``."""
    return ":".join([stage, *(str(a) for a in args if not (isinstance(a, Shard) and a.whole))])


def night_shards(settings: Settings | None = None) -> list[str]:
    """The merchant shards of a night (``TRUST_SHARDS``), as the sharded tasks are mapped over: ``["0/4", … "3/4"]``."""
    return [str(shard) for shard in all_shards((settings or Settings.from_env()).shards)]


def run_grading(settings: Settings, business_date: dt.date) -> dict:
    """The stages after the detectors, in order, each shard of a sharded stage in turn (``settings.shards``), each
    outcome recorded; the caller holds the date's lock and reads as of the date. Returns the publish decision."""
    for stage in GRADING_STAGES:
        for shard in all_shards(settings.shards) if stage in SHARDED_STAGES else [None]:
            args = [shard] if shard is not None else []
            with recorded_stage(settings, business_date, stage_key(stage, *args)) as outcome:
                result = STAGES[stage](settings, business_date, *args)
                if stage == "publish" and result["status"] == "held":
                    outcome.update(status="held", error=result["reason"])
    return result


def run_requested_recomputes(settings: Settings) -> list[dict]:
    """Every queued recompute (``recompute_requests``: an upheld appeal's), oldest date first: the date's metrics,
    scores, grades, quality gate and publication, under the date's lock and reading its inputs as known on the date.
    One recompute of a date answers every request queued for it. A date that fails stays queued, with the reason, and
    the others still run; the failures are raised together at the end."""
    from trust.db.tables import RecomputeRequest

    prepare_warehouse(settings)
    with session_scope(settings.db_url) as session:
        queued = session.execute(select(RecomputeRequest.id, RecomputeRequest.business_date).where(RecomputeRequest.done_at.is_(None))
                                 .order_by(RecomputeRequest.business_date, RecomputeRequest.id)).all()
    by_date: dict[dt.date, list[int]] = {}
    for request_id, date in queued:
        by_date.setdefault(date, []).append(request_id)
    results, failures = [], []
    for date, ids in by_date.items():
        try:
            with date_lock(settings.db_url, date, "run"), reading_as_of(date):
                result = run_grading(settings, date)
            outcome_text, done = f"{result['status']}: {result['reason']}" if result.get("reason") else result["status"], True
        except Exception as error:  # noqa: BLE001 - recorded with the request, raised below
            outcome_text, done = f"failed: {error}", False
            failures.append(f"{date}: {error}")
        with session_scope(settings.db_url) as session:
            now = dt.datetime.now(settings.tz).replace(tzinfo=None)
            for request in session.execute(select(RecomputeRequest).where(RecomputeRequest.id.in_(ids))).scalars():
                request.outcome = outcome_text
                request.done_at = now if done else None
        results.append({"business_date": date.isoformat(), "requests": ids, "outcome": outcome_text})
        log.info("recompute of %s for requests %s: %s", date, ids, outcome_text)
    if failures:
        raise RuntimeError("recompute failed for " + "; ".join(failures) + " (still queued: the next run tries again)")
    return results


def _summary_facts(settings: Settings, business_date: dt.date) -> dict:
    summary = summarise_run(settings, business_date)
    return {"publish": summary["publish"], "tiers": summary["tiers"], "summary_path": summary["summary_path"]}


STAGES = {
    "ingest": run_ingest,
    "pin_models": run_pin_models,
    "detect": run_detector,
    "model_drift": run_model_drift,
    "merchant_metrics": run_merchant_metrics,
    "platform_rates": run_platform_rates,
    "credit_scores": run_credit_scores,
    "grades": run_grades,
    "quality_gate": run_quality_gate,
    "publish": run_publish,
    "summary": _summary_facts,
    "report": build_report,
}


def run_stage(stage: str, business_date: str, *args) -> dict:
    """Entry point for orchestrators: settings from the environment, the date as ``YYYY-MM-DD`` text.
    Returns the stage's small dict of facts (safe for XCom). Every outcome is recorded in ``stage_runs`` (a failed or
    skipped date still shows in the summary and the report); held grades raise :class:`trust.errors.GradesHeld` after
    the decision is recorded, so an orchestrator shows the hold as a named failure."""
    from trust.dates import parse_business_date

    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; known: {', '.join(STAGES)}")
    date = parse_business_date(business_date)
    settings = Settings.from_env()
    if stage == "ingest":
        prepare_warehouse(settings)  # the first stage of a night creates or migrates the warehouse (and its lock table)
    if stage in SHARDED_STAGES and len(args) <= 1:
        args = tuple(Shard.parse(a) for a in args)  # "2/4", as a mapped task is given it
    elif stage == "detect" and 1 <= len(args) <= 2:
        args = (args[0], *(Shard.parse(a) for a in args[1:]))  # the detector's name, then its shard if it has one
    elif args:
        raise ValueError(f"stage {stage} takes " + ("a detector's name and a shard" if stage == "detect" else
                                                    "one shard i/N" if stage in SHARDED_STAGES else "no argument")
                         + f", not {', '.join(map(str, args))}")
    key = stage_key(stage, *args)
    # Two runs of one stage for one date never overlap (a manual trigger beside the scheduled run, a backfill).
    with date_lock(settings.db_url, date, key), recorded_stage(settings, date, key) as outcome:
        if stage == "ingest":
            result = STAGES[stage](settings, date, *args)
        else:
            with reading_as_of(date):  # every later stage sees the inputs as known on the date
                result = STAGES[stage](settings, date, *args)
        if stage == "publish" and result["status"] == "held":
            outcome.update(status="held", error=result["reason"])
    if outcome["status"] == "held":
        raise GradesHeld(f"grades of {date} held by the quality gate: {result['reason']}. Nothing new is served; "
                         f"after review, `trust release --date {date} --actor NAME --reason TEXT` publishes them")
    return result
