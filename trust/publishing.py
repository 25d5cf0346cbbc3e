"""Publishing: the quality gate that decides whether a date's grades may be served, the publication decision
(``publish_log``, append-only: a date's latest decision is its state) and an analyst's release of a held date.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame, read_table, replace_partition, session_scope
from trust.db.tables import Grade, IngestLog, PublishLog, QualityCheck
from trust.errors import Invalid, NotFound, NotHeld
from trust.grading import grade_version, graded_version
from trust.ingest.contracts import ENTITY_ORDER
from trust.lookup import last_shown
from trust.runs import PIPELINE_ACTOR
from trust.scoring import population_stability
from trust.settings import Settings
from trust.thresholds import load_thresholds

log = logging.getLogger(__name__)



def last_published(session: Session, before: dt.date | None = None) -> PublishLog | None:
    """The servable publication of the newest date (before ``before``): see :func:`trust.lookup.servable`."""
    from trust.lookup import current_publication

    return current_publication(session, before)


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
        previous = last_shown(session, before=business_date)  # a rerun in progress does not hide the grades it recomputes
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
