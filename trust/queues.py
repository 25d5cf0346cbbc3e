"""Analysts' review queues: flagged reviews, listings and reseller networks, newest scores first. A decision
(confirmed or cleared) becomes a moderation label (training data) and an audit entry, and leaves the queue."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import func, select

from trust.db.engine import read_frame, session_scope
from trust.db.tables import DetectorScore, ModerationLabel, ResellerNetwork, ReviewRing
from trust.errors import NotFound
from trust.settings import Settings

QUEUES = {
    "reviews": {"detector": "reviews", "entity_type": "review", "confirmed": "fake_review", "cleared": "genuine"},
    "listings": {"detector": "listings", "entity_type": "listing", "confirmed": "counterfeit", "cleared": "ok"},
    "networks": {"detector": "agents", "entity_type": "network", "confirmed": "pyramid", "cleared": "ok"},
    "rings": {"detector": "reviews", "entity_type": "network", "confirmed": "review_ring", "cleared": "ok"},
}


def _check(queue: str) -> dict:
    if queue not in QUEUES:
        raise NotFound(f"no queue {queue!r}; queues: {', '.join(QUEUES)}")
    return QUEUES[queue]


def list_queue(settings: Settings, queue: str, limit: int = 50, offset: int = 0) -> dict:
    """Undecided flagged items of the latest scored date, highest score first."""
    spec = _check(queue)
    with session_scope(settings.db_url) as session:
        latest = session.execute(select(func.max(DetectorScore.business_date)).where(DetectorScore.detector == spec["detector"])).scalar()
        if latest is None:
            return {"queue": queue, "as_of": None, "total": 0, "items": []}
        decided = select(ModerationLabel.entity_id).where(ModerationLabel.entity_type == spec["entity_type"])
        if queue == "rings":
            rows = read_frame(session, select(ReviewRing).where(ReviewRing.business_date == latest, ReviewRing.ring_id.not_in(decided))
                              .order_by(ReviewRing.accounts.desc(), ReviewRing.ring_id))
            items = [{"item_id": r.ring_id, "merchant_id": None, "score": None, "label": "review_ring", "accounts": int(r.accounts),
                      "merchants": json.loads(r.merchants), "reviews": int(r.reviews), "reasons": json.loads(r.evidence)}
                     for r in rows.itertuples()]
        elif queue == "networks":
            rows = read_frame(session, select(ResellerNetwork.root_id.label("item_id"), ResellerNetwork.risk.label("score"),
                                              ResellerNetwork.meets_legal_test, ResellerNetwork.participants, ResellerNetwork.evidence)
                              .where(ResellerNetwork.business_date == latest, ResellerNetwork.risk >= 0.6,
                                     ResellerNetwork.root_id.not_in(decided))
                              .order_by(ResellerNetwork.risk.desc(), ResellerNetwork.root_id))
            items = [{"item_id": r.item_id, "merchant_id": r.item_id, "score": r.score,
                      "label": "pyramid" if r.meets_legal_test else "emerging_pyramid",
                      "reasons": json.loads(r.evidence), "participants": int(r.participants)} for r in rows.itertuples()]
        else:
            rows = read_frame(session, select(DetectorScore.entity_id.label("item_id"), DetectorScore.merchant_id, DetectorScore.score,
                                              DetectorScore.label, DetectorScore.reasons)
                              .where(DetectorScore.business_date == latest, DetectorScore.detector == spec["detector"],
                                     DetectorScore.label.is_not(None), DetectorScore.entity_id.not_in(decided))
                              .order_by(DetectorScore.score.desc(), DetectorScore.entity_id))
            items = [{"item_id": r.item_id, "merchant_id": r.merchant_id, "score": r.score, "label": r.label,
                      "reasons": json.loads(r.reasons)} for r in rows.itertuples()]
    return {"queue": queue, "as_of": latest.isoformat(), "total": len(items), "items": items[offset: offset + limit]}


def decide_item(settings: Settings, queue: str, item_id: str, decision: str, actor: str, note: str | None = None) -> dict:
    """Record an analyst's decision on a queue item as a moderation label."""
    from trust.analyst import record_audit

    spec = _check(queue)
    if decision not in ("confirmed", "cleared"):
        raise ValueError(f"decision must be 'confirmed' or 'cleared', not {decision!r}")
    now = dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)
    with session_scope(settings.db_url) as session:
        if queue == "rings":
            known = session.execute(select(ReviewRing.ring_id).where(ReviewRing.ring_id == item_id).limit(1)).first()
            merchant_id = None
        elif queue == "networks":
            known = session.execute(select(ResellerNetwork.root_id).where(ResellerNetwork.root_id == item_id).limit(1)).first()
            merchant_id = item_id
        else:
            known = session.execute(select(DetectorScore.merchant_id).where(DetectorScore.detector == spec["detector"],
                                                                          DetectorScore.entity_id == item_id).limit(1)).first()
            merchant_id = known[0] if known else None
        if known is None:
            raise NotFound(f"{item_id!r} is not in the {queue} queue")
        label = ModerationLabel(label_id=f"API-{uuid.uuid4().hex[:20]}", entity_type=spec["entity_type"], entity_id=item_id,
                                label=spec[decision], analyst=actor, note=note, decided_at=now, business_date=now.date())
        session.add(label)
        record_audit(session, now, actor, f"queue_{decision}", merchant_id, queue=queue, item_id=item_id, label=spec[decision], note=note)
    return {"queue": queue, "item_id": item_id, "decision": decision, "label": spec[decision], "label_id": label.label_id}


