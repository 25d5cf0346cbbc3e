"""Reading published grades: what services, merchants and analysts look up. Plain functions over a session, shared
by the HTTP service and the command line."""

from __future__ import annotations

import datetime as dt
import json

import functools

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from trust.db.tables import Grade, MerchantMetric, PublishLog
from trust.metrics import METRIC_DESCRIPTIONS
from trust.thresholds import Thresholds


def published_dates(session: Session) -> list[dt.date]:
    """Business dates whose grades were published, newest first."""
    rows = session.execute(select(PublishLog.business_date).where(PublishLog.status == "published").distinct()
                           .order_by(PublishLog.business_date.desc())).scalars().all()
    return list(rows)


def current_publication(session: Session) -> PublishLog | None:
    return session.execute(select(PublishLog).where(PublishLog.status == "published")
                           .order_by(PublishLog.business_date.desc(), PublishLog.id.desc()).limit(1)).scalar_one_or_none()


# Built once: the service's hot path only binds values (building a select costs more than running it).
# One round trip: the grade row joined to its metric rows.
_GRADE_WITH_METRICS = (
    select(*Grade.__table__.columns, MerchantMetric.metric, MerchantMetric.value)
    .outerjoin(MerchantMetric, and_(MerchantMetric.business_date == Grade.business_date, MerchantMetric.merchant_id == Grade.merchant_id))
    .where(Grade.business_date == bindparam("day"), Grade.merchant_id == bindparam("merchant"))
)


@functools.cache
def _rules(thresholds: Thresholds) -> dict[str, tuple]:
    """Per metric: its scorecard entry and gates, looked up once per thresholds file."""
    out: dict[str, tuple] = {}
    for metric in METRIC_DESCRIPTIONS:
        card = next((e for e in thresholds.scorecard if e.metric == metric), None)
        out[metric] = (card, [g for g in thresholds.gates if g.metric == metric])
    return out


def _thresholds_view(metric: str, value: float, thresholds: Thresholds) -> dict:
    view: dict = {"metric": metric, "description": METRIC_DESCRIPTIONS.get(metric, metric), "value": value}
    card, gates = _rules(thresholds).get(metric, (None, []))
    if card is not None:
        view["scorecard"] = {"free_up_to": card.free, "weight": card.weight, "max_points_lost": card.cap,
                             "points_lost": round(min(card.cap, card.weight * max(0.0, value - card.free)), 2)}
    if gates:
        view["gates"] = [{"at_least": g.at_least, "cap": g.cap, "count_metric": g.count_metric, "min_count": g.min_count,
                          "fired": value >= g.at_least, "text": g.text} for g in gates]
    return view


def grade_record(session: Session, merchant_id: str, thresholds: Thresholds, publication: PublishLog) -> dict | None:
    """The merchant's grade in ``publication`` with its metrics against their thresholds, or None if not graded."""
    # Core rows, not ORM entities: this is the service's hot path.
    rows = session.connection().execute(_GRADE_WITH_METRICS, {"day": publication.business_date, "merchant": merchant_id}).all()
    if not rows:
        return None
    grade = rows[0]
    metrics = [(row.metric, row.value) for row in rows if row.metric is not None]
    return {
        "merchant_id": merchant_id,
        "tier": grade.tier,
        "tier_name": grade.tier_name,
        "projected_tier": grade.projected_tier,
        "previous_tier": grade.previous_tier,
        "effective_from": _iso(grade.effective_from),
        "score": grade.score,
        "as_of": grade.business_date.isoformat(),
        "window": {"start": grade.window_start.isoformat(), "end": grade.window_end.isoformat()},
        "grade_version": grade.grade_version,
        "published": {"status": publication.status, "reason": publication.reason, "actor": publication.actor},
        "reasons": json.loads(grade.decided_by),
        "metrics": [_thresholds_view(metric, value, thresholds) for metric, value in sorted(metrics)],
    }


def grade_history(session: Session, merchant_id: str, limit: int) -> list[dict]:
    """The merchant's grades on published dates, newest first."""
    dates = published_dates(session)[:limit]
    if not dates:
        return []
    rows = session.execute(select(Grade.business_date, Grade.tier, Grade.score, Grade.grade_version, Grade.effective_from)
                           .where(Grade.merchant_id == merchant_id, Grade.business_date.in_(dates))
                           .order_by(Grade.business_date.desc())).all()
    return [{"as_of": d.isoformat(), "tier": tier, "score": score, "grade_version": version, "effective_from": _iso(effective)}
            for d, tier, score, version, effective in rows]


def batch_grades(session: Session, merchant_ids: list[str], publication: PublishLog) -> dict[str, dict | None]:
    rows = session.execute(select(Grade.merchant_id, Grade.tier, Grade.tier_name, Grade.score, Grade.effective_from)
                           .where(Grade.business_date == publication.business_date, Grade.merchant_id.in_(merchant_ids))).all()
    found = {m: {"tier": t, "tier_name": n, "score": s, "effective_from": _iso(e)} for m, t, n, s, e in rows}
    return {merchant_id: found.get(merchant_id) for merchant_id in merchant_ids}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
