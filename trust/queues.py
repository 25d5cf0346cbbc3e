"""Analysts' review queues: flagged reviews, listings and reseller networks, newest scores first. A decision
(confirmed or cleared) becomes a moderation label (training data) and an audit entry, and leaves the queue."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import func, select

from trust.db.engine import read_frame, session_scope
from trust.db.tables import DetectorScore, ModerationLabel
from trust.detect import registry
from trust.detect.base import Queue
from trust.errors import NotFound
from trust.settings import Settings


def queues() -> dict[str, tuple[str, Queue]]:
    """{queue name: (the detector feeding it, the queue)} over the registered detectors."""
    return {queue.name: (name, queue) for name, detector in registry.detectors().items() for queue in detector.queues}


def _check(queue: str) -> tuple[str, Queue]:
    known = queues()
    if queue not in known:
        raise NotFound(f"no queue {queue!r}; queues: {', '.join(known)}")
    return known[queue]


def list_queue(settings: Settings, queue: str, limit: int = 50, offset: int = 0) -> dict:
    """Undecided flagged items of the latest scored date, highest score first."""
    detector, spec = _check(queue)
    with session_scope(settings.db_url) as session:
        latest = session.execute(select(func.max(DetectorScore.business_date)).where(DetectorScore.detector == detector)).scalar()
        if latest is None:
            return {"queue": queue, "as_of": None, "total": 0, "items": []}
        decided = select(ModerationLabel.entity_id).where(ModerationLabel.entity_type == spec.entity_type)
        if spec.items is not None:
            items = spec.items(session, latest, decided)
        else:
            rows = read_frame(session, select(DetectorScore.entity_id.label("item_id"), DetectorScore.merchant_id, DetectorScore.score,
                                              DetectorScore.label, DetectorScore.reasons)
                              .where(DetectorScore.business_date == latest, DetectorScore.detector == detector,
                                     DetectorScore.label.is_not(None), DetectorScore.entity_id.not_in(decided))
                              .order_by(DetectorScore.score.desc(), DetectorScore.entity_id))
            items = [{"item_id": r.item_id, "merchant_id": r.merchant_id, "score": r.score, "label": r.label,
                      "reasons": json.loads(r.reasons)} for r in rows.itertuples()]
    return {"queue": queue, "as_of": latest.isoformat(), "total": len(items), "items": items[offset: offset + limit]}


def decide_item(settings: Settings, queue: str, item_id: str, decision: str, actor: str, note: str | None = None) -> dict:
    """Record an analyst's decision on a queue item as a moderation label."""
    from trust.analyst import record_audit

    detector, spec = _check(queue)
    if decision not in ("confirmed", "cleared"):
        raise ValueError(f"decision must be 'confirmed' or 'cleared', not {decision!r}")
    now = dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)
    with session_scope(settings.db_url) as session:
        if spec.find is not None:
            known, merchant_id = spec.find(session, item_id)
        else:
            row = session.execute(select(DetectorScore.merchant_id).where(DetectorScore.detector == detector,
                                                                        DetectorScore.entity_id == item_id).limit(1)).first()
            known, merchant_id = row is not None, row[0] if row else None
        if not known:
            raise NotFound(f"{item_id!r} is not in the {queue} queue")
        label = ModerationLabel(label_id=f"API-{uuid.uuid4().hex[:20]}", entity_type=spec.entity_type, entity_id=item_id,
                                label=getattr(spec, decision), analyst=actor, note=note, decided_at=now, business_date=now.date())
        session.add(label)
        record_audit(session, now, actor, f"queue_{decision}", merchant_id, queue=queue, item_id=item_id, label=getattr(spec, decision), note=note)
    return {"queue": queue, "item_id": item_id, "decision": decision, "label": getattr(spec, decision), "label_id": label.label_id}


