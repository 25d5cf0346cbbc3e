"""What analysts do to grades: overrides, appeals, clearing held gates, releasing held versions.

Every action is written to ``audit_log`` with its actor in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trust.db.engine import session_scope
from trust.db.tables import (Appeal, AuditEntry, Complaint, GateHold, GradeOverride, IngestLog, Merchant, Order, RecomputeRequest,
                              SpotCheck)
from trust.errors import Conflict, Invalid, NotFound
from trust.settings import Settings
from trust.thresholds import TIER_ORDER

SUBJECTS = {"order": (Order, Order.order_id), "complaint": (Complaint, Complaint.complaint_id),
            "spot_check": (SpotCheck, SpotCheck.check_id)}


def _now(settings: Settings) -> dt.datetime:
    return dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)


def _need(value: str, what: str) -> str:
    if not value or not value.strip():
        raise Invalid(f"{what} is required")
    return value.strip()


def record_audit(session: Session, at: dt.datetime, actor: str, action: str, merchant_id: str | None, **detail) -> None:
    session.add(AuditEntry(at=at, actor=actor, action=action, merchant_id=merchant_id,
                           detail=json.dumps(detail, ensure_ascii=False, default=str)))


def _known_merchant(session: Session, merchant_id: str) -> None:
    if session.execute(select(Merchant.merchant_id).where(Merchant.merchant_id == merchant_id)).first() is None:
        raise NotFound(f"merchant {merchant_id!r} is not in the warehouse")


def add_override(settings: Settings, merchant_id: str, tier: str, reason: str, actor: str,
                 effective_from: dt.date, expires_on: dt.date) -> int:
    """Record an override; returns its id. It applies to every grade run from ``effective_from`` to ``expires_on``."""
    if tier not in TIER_ORDER:
        raise Invalid(f"tier {tier!r} is not one of {', '.join(TIER_ORDER)}")
    reason, actor = _need(reason, "a reason"), _need(actor, "an actor")
    if expires_on < effective_from:
        raise Invalid(f"override expires {expires_on} before it starts {effective_from}")
    now = _now(settings)
    with session_scope(settings.db_url) as session:
        _known_merchant(session, merchant_id)
        row = GradeOverride(merchant_id=merchant_id, tier=tier, reason=reason, actor=actor, effective_from=effective_from,
                            expires_on=expires_on, created_at=now)
        session.add(row)
        session.flush()
        record_audit(session, now, actor, "override_added", merchant_id, override_id=row.id, tier=tier, reason=reason,
                     effective_from=effective_from, expires_on=expires_on)
        return row.id


def revoke_override(settings: Settings, override_id: int, actor: str, reason: str) -> None:
    actor, reason = _need(actor, "an actor"), _need(reason, "a reason")
    now = _now(settings)
    with session_scope(settings.db_url) as session:
        row = session.get(GradeOverride, override_id)
        if row is None:
            raise NotFound(f"no override with id {override_id}")
        if row.revoked_at is not None:
            raise Conflict(f"override {override_id} was already revoked at {row.revoked_at} by {row.revoked_by}")
        row.revoked_at, row.revoked_by = now, actor
        record_audit(session, now, actor, "override_revoked", row.merchant_id, override_id=override_id, reason=reason)


def file_appeal(settings: Settings, merchant_id: str, subject_type: str, subject_id: str, reason: str) -> int:
    """A merchant contests one defect; returns the appeal id."""
    if subject_type not in SUBJECTS:
        raise Invalid(f"an appeal is about one of: {', '.join(SUBJECTS)}; not {subject_type!r}")
    reason = _need(reason, "a reason")
    table, key = SUBJECTS[subject_type]
    now = _now(settings)
    with session_scope(settings.db_url) as session:
        owner = session.execute(select(table.merchant_id).where(key == subject_id)).scalar_one_or_none()
        if owner is None:
            raise NotFound(f"no {subject_type} {subject_id!r} in the warehouse")
        if owner != merchant_id:
            raise Invalid(f"{subject_type} {subject_id!r} belongs to {owner}, not {merchant_id}")
        row = Appeal(merchant_id=merchant_id, subject_type=subject_type, subject_id=subject_id, reason=reason, status="filed",
                     filed_at=now)
        session.add(row)
        session.flush()
        record_audit(session, now, merchant_id, "appeal_filed", merchant_id, appeal_id=row.id, subject=f"{subject_type} {subject_id}",
                     reason=reason)
        return row.id


def decide_appeal(settings: Settings, appeal_id: int, uphold: bool, actor: str, note: str,
                  recompute_date: dt.date | None = None) -> dict:
    """Uphold (the defect stops counting) or reject an appeal; with ``recompute_date``, queue that date's metrics,
    scores, grades and publication to be computed again (by the next ``trust_recompute`` run or ``trust recompute``),
    so the merchant sees the result. Nothing is recomputed inside the decision itself."""
    actor, note = _need(actor, "an actor"), _need(note, "a decision note")
    now = _now(settings)
    with session_scope(settings.db_url) as session:
        if recompute_date is not None:  # checked before anything is written
            if not uphold:
                raise Conflict("a recompute date goes with an upheld appeal; a rejected one changes no grade")
            latest = session.execute(select(func.max(IngestLog.business_date))).scalar()
            if latest is None or recompute_date > latest:
                raise Conflict(f"recompute date {recompute_date} is after the latest business date with data "
                               f"({latest or 'none loaded yet'}): grades can only be recomputed for a date that was loaded")
        row = session.get(Appeal, appeal_id)
        if row is None:
            raise NotFound(f"no appeal with id {appeal_id}")
        if row.status != "filed":
            raise Conflict(f"appeal {appeal_id} was already {row.status} by {row.decided_by}")
        row.status = "upheld" if uphold else "rejected"
        row.decided_at, row.decided_by, row.decision_note = now, actor, note
        merchant_id = row.merchant_id
        record_audit(session, now, actor, f"appeal_{row.status}", merchant_id, appeal_id=appeal_id, note=note)
        result = {"appeal_id": appeal_id, "status": row.status}
        if uphold and recompute_date is not None:
            request = RecomputeRequest(business_date=recompute_date, reason=f"appeal {appeal_id} upheld by {actor}",
                                       requested_by=actor, requested_at=now)
            session.add(request)
            session.flush()
            result["recompute"] = {"request_id": request.id, "business_date": recompute_date.isoformat(), "status": "queued"}
    return result


def clear_gate_hold(settings: Settings, merchant_id: str, gate: str, actor: str, reason: str) -> None:
    """An analyst has reviewed a held gate and lifts it; the next grade run no longer applies its cap."""
    actor, reason = _need(actor, "an actor"), _need(reason, "a reason")
    now = _now(settings)
    with session_scope(settings.db_url) as session:
        hold = session.get(GateHold, (merchant_id, gate))
        if hold is None or hold.cleared_at is not None:
            raise NotFound(f"no active hold of gate {gate!r} on merchant {merchant_id!r}")
        hold.cleared_at, hold.cleared_by, hold.clear_reason = now, actor, reason
        record_audit(session, now, actor, "gate_cleared", merchant_id, gate=gate, reason=reason)
