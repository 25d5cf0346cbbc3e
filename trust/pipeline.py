"""The nightly stages as plain functions of (settings, business_date): each reads the warehouse, replaces its
own output partition for that date in one transaction, and returns a small dict of facts (for logs and XCom).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trust import __version__
from trust.db.engine import read_frame, read_table, reading_as_of, replace_partition, session_scope
from trust.db.locks import date_lock
from trust.db.migrate import upgrade_database
from trust.db.tables import (
    CreditScore, CreditScorePoint, DetectorScore, GateHold, Grade, GradeDocument, GradeNotice, GradeOverride, IngestLog, MerchantMetric,
    PublishLog, QualityCheck,
)
from trust.detect import DETECTOR_NAMES
from trust.errors import GradesHeld, Invalid, NotFound, NotHeld  # noqa: F401  (NotHeld is re-exported)
from trust.ingest.contracts import ENTITY_ORDER
from trust.ingest.loader import ingest_partition
from trust.metrics import add_smoothed_rates, choose_windows, compute_both_windows
from trust.notices import build_notices
from trust.report import build_report
from trust.runs import PIPELINE_ACTOR, recorded_stage, run_outcome, stage_outcomes
from trust.scoring import grade_merchants, population_stability, score_merchants, tier_counts
from trust.settings import Settings
from trust.thresholds import Thresholds, load_thresholds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date


def evaluation_window(business_date: dt.date, thresholds: Thresholds, long: bool = False) -> Window:
    """The short (default) or long evaluation window ending on the business date."""
    days = thresholds.long_window_days if long else thresholds.window_days
    return Window(business_date - dt.timedelta(days=days - 1), business_date)


def grade_version(business_date: dt.date, thresholds: Thresholds) -> str:
    return f"{business_date.isoformat()}/{thresholds.version}/trust-{__version__}"


def graded_version(session: Session, business_date: dt.date) -> str | None:
    """The grade version the date's grades were computed under (None: not graded)."""
    return session.execute(select(Grade.grade_version).where(Grade.business_date == business_date).limit(1)).scalar()


def prepare_warehouse(settings: Settings) -> None:
    """Create or migrate the warehouse schema (idempotent)."""
    upgrade_database(settings.db_url)


def run_ingest(settings: Settings, business_date: dt.date) -> dict:
    prepare_warehouse(settings)
    result = ingest_partition(settings, business_date)
    return {"business_date": business_date.isoformat(), "entities": result.totals()}


def run_detector(settings: Settings, business_date: dt.date, name: str) -> dict:
    """Run one detector over the evaluation window and replace its scores for ``business_date``."""
    from trust.detect.registry import DETECTORS  # the models and their libraries: only the detector stages load them

    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}")
    from trust.lifecycle.registry import pinned_model

    module = DETECTORS[name]
    window = evaluation_window(business_date, load_thresholds(settings.thresholds_path), long=True)
    model, version = pinned_model(settings, business_date, name)  # the version the night pinned at its start
    parameters = inspect.signature(module.run).parameters
    extra = {"state_dir": settings.data_dir / "state"} if "state_dir" in parameters else {}
    if "model" in parameters:
        extra["model"] = model
    if "model_version" in parameters:  # what a stage stores per row is kept under the version that computed it
        extra["model_version"] = version
    if "complaint_model" in parameters:  # the complaints the listing stage reads for seller history: the same model
        from trust.detect.complaint_model import ComplaintClassifier

        extra["complaint_model"] = pinned_model(settings, business_date, "complaints")[0] or ComplaintClassifier().fit([])
    with session_scope(settings.db_url) as session:
        result = module.run(session, business_date, window.start, window.end, **extra)
        scores, extra_tables = result if isinstance(result, tuple) else (result, {})
        scores = scores.assign(business_date=business_date, detector=name, model_version=version)
        written = replace_partition(session, DetectorScore, business_date, scores, detector=name)
        for table, frame in extra_tables.items():
            replace_partition(session, table, business_date, frame)
    flagged = int(scores["label"].notna().sum())
    log.info("detector %s on %s: %d scored, %d flagged", name, business_date, written, flagged)
    return {"detector": name, "scored": written, "flagged": flagged, "model_version": version}


def run_pin_models(settings: Settings, business_date: dt.date) -> dict:
    """The night's first step after ingest: the model version each detector scores with (the champions now)."""
    from trust.lifecycle.registry import pin_models

    return {"models": pin_models(settings, business_date)}


def run_model_drift(settings: Settings, business_date: dt.date) -> dict:
    """After the detectors: each model's inputs and scores on the night's new rows against its reference."""
    from trust.lifecycle.drift import run_drift

    return run_drift(settings, business_date)


def run_merchant_metrics(settings: Settings, business_date: dt.date) -> dict:
    """Metrics over each merchant's window (short with enough orders, long otherwise), rates also smoothed."""
    thresholds = load_thresholds(settings.thresholds_path)
    short_window = evaluation_window(business_date, thresholds)
    long_window = evaluation_window(business_date, thresholds, long=True)
    with session_scope(settings.db_url) as session:
        short, long = compute_both_windows(session, business_date, short_window, long_window)  # one read of the long window
        use_short = choose_windows(short, long, thresholds.min_orders_for_short_window)
        wide = add_smoothed_rates(long.where(~use_short, short.reindex(long.index), axis=0), thresholds.prior_orders)
        window_start = pd.Series(np.where(use_short, short_window.start, long_window.start), index=wide.index)
        long_rows = wide.reset_index().melt(id_vars="merchant_id", var_name="metric", value_name="value").dropna(subset=["value"])
        long_rows = long_rows.assign(business_date=business_date, window_start=long_rows["merchant_id"].map(window_start),
                                     window_end=business_date, code_version=__version__)
        written = replace_partition(session, MerchantMetric, business_date, long_rows)
    return {"merchants": len(wide), "metric_rows": written, "short_window_merchants": int(use_short.sum())}


def load_metrics(session: Session, business_date: dt.date, long_too: bool = False):
    """Wide metrics for the date, with each merchant's ``window_start`` as an extra column (and, with ``long_too``,
    the rows as stored: merchant_id, metric, value)."""
    day = MerchantMetric.business_date == business_date
    long = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.metric, MerchantMetric.value).where(day))
    if long.empty:
        raise RuntimeError(f"no merchant metrics for {business_date}: run the metrics stage first")
    wide = long.pivot(index="merchant_id", columns="metric", values="value").sort_index()
    # One window per merchant: read once per merchant, not once per metric row (a date parsed per row cost a second).
    starts = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.window_start).where(day).distinct())
    wide["window_start"] = starts.drop_duplicates("merchant_id").set_index("merchant_id")["window_start"]
    return (wide, long) if long_too else wide


def run_credit_scores(settings: Settings, business_date: dt.date) -> dict:
    thresholds = load_thresholds(settings.thresholds_path)
    with session_scope(settings.db_url) as session:
        metrics = load_metrics(session, business_date).drop(columns=["window_start"])
        scores, points = score_merchants(metrics, thresholds)
        frame = pd.DataFrame({"merchant_id": scores.index, "score": scores.to_numpy(), "business_date": business_date,
                              "scorecard_version": thresholds.version})
        replace_partition(session, CreditScore, business_date, frame)
        replace_partition(session, CreditScorePoint, business_date, points.assign(business_date=business_date))
    return {"merchants": len(scores), "mean_score": round(float(scores.mean()), 1) if len(scores) else None}


def previous_grades(session: Session, business_date: dt.date) -> pd.DataFrame:
    """The grades of the latest graded date before ``business_date`` (empty on the first run)."""
    latest = session.execute(select(func.max(Grade.business_date)).where(Grade.business_date < business_date)).scalar_one_or_none()
    if latest is None:
        return pd.DataFrame(columns=["merchant_id", "tier", "effective_from"])
    return read_frame(session, select(Grade.merchant_id, Grade.tier, Grade.effective_from).where(Grade.business_date == latest))


def run_grades(settings: Settings, business_date: dt.date) -> dict:
    thresholds = load_thresholds(settings.thresholds_path)
    with session_scope(settings.db_url) as session:
        metrics, long_metrics = load_metrics(session, business_date, long_too=True)
        window_start = metrics.pop("window_start")
        scores = read_frame(session, select(CreditScore.merchant_id, CreditScore.score)
                            .where(CreditScore.business_date == business_date)).set_index("merchant_id")["score"]
        points = read_frame(session, select(CreditScorePoint.merchant_id, CreditScorePoint.metric, CreditScorePoint.value,
                                            CreditScorePoint.points, CreditScorePoint.explanation)
                            .where(CreditScorePoint.business_date == business_date))
        overrides = read_table(session, GradeOverride)
        holds = read_table(session, GateHold)
        grades, fired = grade_merchants(metrics, scores, points, thresholds, overrides, business_date,
                                        previous_grades(session, business_date), holds)
        grades = grades.assign(business_date=business_date, window_start=grades["merchant_id"].map(window_start),
                               window_end=business_date, grade_version=grade_version(business_date, thresholds))
        _withdraw_if_servable(session, business_date, dt.datetime.now(settings.tz).replace(tzinfo=None))
        replace_partition(session, Grade, business_date, grades)
        write_grade_documents(session, grades, business_date, thresholds, long_metrics)
        _record_holds(session, holds, fired, business_date, thresholds.long_window_days)
        notices = build_notices(grades, thresholds, business_date).assign(business_date=business_date)
        replace_partition(session, GradeNotice, business_date, notices)
    return {"graded": len(grades), "tiers": tier_counts(grades["tier"]), "notices": len(notices)}


def write_grade_documents(session: Session, grades: pd.DataFrame, business_date: dt.date, thresholds,
                          metrics: pd.DataFrame | None = None) -> None:
    """Render the lookup service's document of every grade of ``business_date`` (see trust.lookup); ``metrics``: the
    date's metric rows when already read."""
    from trust.lookup import build_grade_documents

    if metrics is None:
        metrics = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.metric, MerchantMetric.value)
                             .where(MerchantMetric.business_date == business_date))
    documents = build_grade_documents(grades, metrics, thresholds)
    replace_partition(session, GradeDocument, business_date, documents)


def _record_holds(session: Session, holds: pd.DataFrame, fired: pd.DataFrame, business_date: dt.date,
                  window_days: int) -> None:
    """A gate that holds until reviewed starts a hold the first time it fires. After an analyst cleared it, it
    holds again only when it fires on evidence newer than the review (once what was reviewed has left the window)."""
    existing = holds.set_index(["merchant_id", "gate"]) if not holds.empty else None
    for row in fired.itertuples(index=False):
        key = (row.merchant_id, row.gate)
        if existing is not None and key in existing.index:
            if pd.isna(existing.loc[key, "cleared_at"]):
                continue  # already held
            reviewed_until = pd.Timestamp(existing.loc[key, "cleared_at"]).date() + dt.timedelta(days=window_days)
            if business_date <= reviewed_until:
                continue  # the evidence the analyst reviewed is still what fires the gate
            session.execute(delete(GateHold).where(GateHold.merchant_id == row.merchant_id, GateHold.gate == row.gate))
        session.add(GateHold(merchant_id=row.merchant_id, gate=row.gate, cap=row.cap, first_fired=business_date, text=row.text))


def last_published(session: Session, before: dt.date | None = None) -> PublishLog | None:
    """The servable publication of the newest date (before ``before``): see :func:`trust.lookup.servable`."""
    from trust.lookup import current_publication

    return current_publication(session, before)


def _withdraw_if_servable(session: Session, business_date: dt.date, now: dt.datetime) -> None:
    """A rerun's grades replace the date's: take the date off the air in the same transaction, until its own quality
    gate passes or an analyst releases it again."""
    from trust.lookup import latest_decision

    decision = latest_decision(session, business_date)
    if decision is not None and decision.status == "published":
        session.add(PublishLog(business_date=business_date, grade_version=decision.grade_version,  # what goes off the air
                               status="withdrawn", actor=PIPELINE_ACTOR, decided_at=now,
                               reason=f"grades of {business_date} recomputed: not served until the quality gate passes "
                                      "or an analyst releases them"))


def volume_check(session: Session, ingest: pd.DataFrame, entity: str, business_date: dt.date,
                 limits: dict) -> tuple[str, bool, float | None, float | None, str]:
    """(check name, passed, observed share, limit, detail): the entity's rows loaded today against the median of its
    recent business dates. An empty or collapsed delivery fails it unless the landing folder carried ``_NOTHING_TODAY``."""
    name, share_limit = f"volume_{entity}", float(limits.get("min_volume_share", 0.2))
    part = ingest[ingest["entity"] == entity] if not ingest.empty else ingest
    today = int(part["rows_loaded"].sum()) if not part.empty else 0
    if not part.empty and (part["status"] == "nothing_today").any():
        return name, True, None, share_limit, f"{today} {entity} rows; the supplier marked the day as having nothing new"
    days = int(limits.get("volume_history_days", 7))
    history = read_frame(session, select(IngestLog.business_date, func.sum(IngestLog.rows_loaded).label("rows"))
                         .where(IngestLog.entity == entity, IngestLog.business_date < business_date)
                         .group_by(IngestLog.business_date).order_by(IngestLog.business_date.desc()).limit(days))
    if len(history) < 3:
        return name, True, None, share_limit, f"{today} {entity} rows; fewer than 3 earlier days to compare with"
    typical = float(history["rows"].median())
    if typical < float(limits.get("volume_min_typical", 20)):
        return name, True, None, share_limit, f"{today} {entity} rows; a typical day has too few ({typical:g}) to judge"
    share = today / typical
    return (name, share >= share_limit, round(share, 4), share_limit,
            f"{today} {entity} rows against a typical {typical:g} over the last {len(history)} days ({share:.0%}, "
            f"limit {share_limit:.0%}; an empty delivery needs {entity}/{business_date}/_NOTHING_TODAY)")


def run_quality_gate(settings: Settings, business_date: dt.date) -> dict:
    """Check the day's inputs and the plausibility of the new grades; record every verdict."""
    thresholds = load_thresholds(settings.thresholds_path)
    limits = thresholds.quality_gate
    checks: list[dict] = []

    def check(name: str, passed: bool, observed: float | None, limit: float | None, detail: str) -> None:
        checks.append({"check_name": name, "passed": bool(passed), "observed": observed, "limit": limit, "detail": detail})

    with session_scope(settings.db_url) as session:
        ingest = read_table(session, IngestLog, IngestLog.business_date == business_date)
        loaded_entities = set(ingest["entity"]) if not ingest.empty else set()
        missing = [e for e in ENTITY_ORDER if e not in loaded_entities]
        check("ingest_complete", not missing, float(len(missing)), 0.0,
              "every entity loaded" if not missing else f"no ingest for: {', '.join(missing)}")
        rejected = ingest[ingest["status"] == "file_rejected"] if not ingest.empty else ingest
        check("no_rejected_files", rejected.empty, float(len(rejected)), 0.0,
              "no landing file was rejected" if rejected.empty else "rejected: " + ", ".join(rejected["source_file"]))
        for entity in ENTITY_ORDER:
            check(*volume_check(session, ingest, entity, business_date, limits))
        max_rate = limits.get("max_quarantine_rate", 0.05)
        min_rows = int(limits.get("quarantine_min_rows", 1))
        for entity in ENTITY_ORDER:
            part = ingest[ingest["entity"] == entity] if not ingest.empty else ingest
            rows_in = int(part["rows_in"].sum()) if not part.empty else 0
            quarantined = int(part["rows_quarantined"].sum()) if not part.empty else 0
            rate = quarantined / rows_in if rows_in else 0.0
            check(f"quarantine_rate_{entity}", rate <= max_rate or quarantined < min_rows, rate, max_rate,
                  f"{quarantined} of {rows_in} {entity} rows quarantined ({rate:.2%}, limit {max_rate:.0%}"
                  + (f"; judged from {min_rows} rows)" if quarantined < min_rows and rate > max_rate else ")"))
        grades = read_frame(session, select(Grade.merchant_id, Grade.tier, Grade.score).where(Grade.business_date == business_date))
        minimum = limits.get("min_merchants_graded", 1)
        check("merchants_graded", len(grades) >= minimum, float(len(grades)), minimum, f"{len(grades)} merchants graded")
        previous = last_published(session, before=business_date)
        history_days = session.execute(select(func.count(func.distinct(IngestLog.business_date)))
                                       .where(IngestLog.business_date <= business_date)).scalar_one()
        warmup = int(limits.get("drift_warmup_days", 0))
        if previous is None:
            check("tier_change_share", True, None, limits.get("max_tier_change_share"), "no earlier published version to compare")
            check("score_psi", True, None, limits.get("max_score_psi"), "no earlier published version to compare")
        else:
            # A new warehouse: the drift is measured and recorded, but does not hold the day until the history is long
            # enough for one day not to be a large share of every merchant's evidence.
            warming = history_days < warmup
            note = (f"; warming up: {history_days} of the {warmup} days of history drift is judged on "
                    "(quality_gate.drift_warmup_days), so it does not hold publication") if warming else ""
            before = read_frame(session, select(Grade.merchant_id, Grade.tier, Grade.score)
                                .where(Grade.business_date == previous.business_date))
            both = grades.merge(before, on="merchant_id", suffixes=("", "_before"))
            moved = float((both["tier"] != both["tier_before"]).mean()) if len(both) else 0.0
            limit = limits.get("max_tier_change_share", 0.25)
            check("tier_change_share", warming or moved <= limit, moved, limit,
                  f"{moved:.1%} of merchants changed tier against {previous.grade_version} (limit {limit:.0%}){note}")
            psi = population_stability(before["score"].to_numpy(), grades["score"].to_numpy())
            limit = limits.get("max_score_psi", 0.25)
            check("score_psi", warming or psi <= limit, psi, limit,
                  f"score PSI {psi:.3f} against {previous.grade_version} (limit {limit}){note}")
        from trust.lifecycle.drift import drift_verdict

        check("model_drift", *drift_verdict(session, business_date))
        replace_partition(session, QualityCheck, business_date, [dict(c, business_date=business_date) for c in checks])
    failed = [c for c in checks if not c["passed"]]
    return {"passed": not failed, "failed": [f"{c['check_name']}: {c['detail']}" for c in failed]}


def run_publish(settings: Settings, business_date: dt.date, now: dt.datetime | None = None) -> dict:
    """Publish the day's grades (one row in publish_log flips what readers see) or hold them with the reasons.
    publish_log is append-only: every decision stays, the latest one per date is its state."""
    decided_at = now or dt.datetime.now(settings.tz).replace(tzinfo=None)
    with session_scope(settings.db_url) as session:
        # The version of the grades published, as they were graded (the thresholds file may have changed since);
        # with no grades, the version they would have.
        version = graded_version(session, business_date) or grade_version(business_date, load_thresholds(settings.thresholds_path))
        checks = read_table(session, QualityCheck, QualityCheck.business_date == business_date)
        if checks.empty:
            raise RuntimeError(f"no quality-gate verdicts for {business_date}: run the quality gate first")
        graded = session.execute(select(func.count()).select_from(Grade).where(Grade.business_date == business_date)).scalar_one()
        failed = checks[~checks["passed"].astype(bool)]
        status = "published" if failed.empty and graded else "held"
        reason = "all quality checks passed" if status == "published" else "; ".join(
            f"{row.check_name}: {row.detail}" for row in failed.itertuples()) or "no grades computed"
        session.add(PublishLog(business_date=business_date, grade_version=version, status=status, reason=reason,
                               actor=PIPELINE_ACTOR, decided_at=decided_at))
    (log.info if status == "published" else log.warning)("grades %s %s: %s", version, status, reason)
    return {"status": status, "grade_version": version, "reason": reason}


def release_held(settings: Settings, business_date: dt.date, actor: str, reason: str) -> dict:
    """An analyst publishes a held version after review (only a date whose latest decision is 'held')."""
    from trust.analyst import record_audit

    if not actor or not reason:
        raise Invalid("releasing a held grade version needs an actor and a reason")
    now = dt.datetime.now(settings.tz).replace(tzinfo=None)
    from trust.lookup import latest_decision

    with session_scope(settings.db_url) as session:
        graded = session.execute(select(func.count()).select_from(Grade).where(Grade.business_date == business_date)).scalar_one()
        if not graded:
            raise NotFound(f"no grades computed for {business_date}; nothing to release")
        decision = latest_decision(session, business_date)
        if decision is None or decision.status != "held":
            state = "never decided" if decision is None else f"{decision.status} ({decision.reason})"
            raise NotHeld(f"{business_date} is not held, so there is nothing to release: it is {state}")
        version = graded_version(session, business_date)  # the grades released, as graded
        session.add(PublishLog(business_date=business_date, grade_version=version, status="published",
                               reason=f"released by {actor}: {reason}", actor=actor, decided_at=now))
        record_audit(session, now, actor, "release", None, business_date=business_date, grade_version=version, reason=reason)
    return {"status": "published", "business_date": business_date.isoformat(), "actor": actor}


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
        "flagged": {detector: int(part["n"].sum()) for detector, part in labelled.groupby("detector") if detector != "complaints"},
        "complaints_by_category": {row.label: int(row.n) for row in labelled[labelled["detector"] == "complaints"].itertuples()},
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
            for name in DETECTOR_NAMES:
                with recorded_stage(settings, business_date, f"detect:{name}"):
                    run_detector(settings, business_date, name)
            with recorded_stage(settings, business_date, "model_drift"):
                run_model_drift(settings, business_date)
            for stage in ("merchant_metrics", "credit_scores", "grades", "quality_gate", "publish"):
                with recorded_stage(settings, business_date, stage) as outcome:
                    result = STAGES[stage](settings, business_date)
                    if stage == "publish" and result["status"] == "held":
                        outcome.update(status="held", error=result["reason"])
            summary = summarise_run(settings, business_date)
            summary["report_path"] = build_report(settings, business_date)["report_path"]
            return summary


RECOMPUTE_STAGES = ("merchant_metrics", "credit_scores", "grades", "quality_gate", "publish")


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
                for stage in RECOMPUTE_STAGES:
                    with recorded_stage(settings, date, stage) as outcome:
                        result = STAGES[stage](settings, date)
                        if stage == "publish" and result["status"] == "held":
                            outcome.update(status="held", error=result["reason"])
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
    key = ":".join([stage, *map(str, args)])
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
