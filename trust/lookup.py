"""Reading published grades: what services, merchants and analysts look up. Plain functions over a session, shared
by the HTTP service and the command line."""

from __future__ import annotations

import datetime as dt
import json

import functools

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, exists, func, select
from sqlalchemy.orm import Session

from trust.db.tables import Grade, GradeDocument, PublishLog
from trust.metrics import METRIC_DESCRIPTIONS
from trust.thresholds import Thresholds


# publish_log is append-only; a business date's state is its latest decision: published (by the quality gate or an
# analyst's release), held, or withdrawn (a rerun is recomputing its grades). Only a date whose latest decision is
# "published" is servable, so a rerun takes its date off the air until its own gate passes or it is released again.
_LATEST_DECISIONS = select(func.max(PublishLog.id)).group_by(PublishLog.business_date).scalar_subquery()


def in_state(statement, *statuses: str):
    """``statement`` over PublishLog restricted to the dates whose latest decision has one of ``statuses``."""
    return statement.where(PublishLog.id.in_(_LATEST_DECISIONS), PublishLog.status.in_(statuses))


def servable(statement):
    """``statement`` over PublishLog restricted to the dates whose latest decision is 'published'."""
    return in_state(statement, "published")


def latest_decision(session: Session, business_date: dt.date) -> PublishLog | None:
    """The date's current publication state (None: never decided)."""
    return session.execute(select(PublishLog).where(PublishLog.business_date == business_date)
                           .order_by(PublishLog.id.desc()).limit(1)).scalar_one_or_none()


def published_dates(session: Session) -> list[dt.date]:
    """Business dates whose grades are servable, newest first."""
    rows = session.execute(servable(select(PublishLog.business_date)).order_by(PublishLog.business_date.desc())).scalars().all()
    return list(rows)


def current_publication(session: Session, before: dt.date | None = None) -> PublishLog | None:
    """The servable publication of the newest date (before ``before``, if given)."""
    statement = servable(select(PublishLog))
    if before is not None:
        statement = statement.where(PublishLog.business_date < before)
    return session.execute(statement.order_by(PublishLog.business_date.desc()).limit(1)).scalar_one_or_none()


def last_shown(session: Session, before: dt.date) -> PublishLog | None:
    """The publication of the newest date before ``before`` whose grades were the last the public saw: its latest
    decision is 'published', or 'withdrawn' by a rerun recomputing it (a rerun takes a date off the air only from
    'published'). The quality gate's drift checks compare a date with it, so a date's verdict does not depend on
    whether an earlier date happens to be rerunning at the same moment (a rerun of unchanged inputs gives the same
    grades; a held date was never shown, and is not compared with)."""
    statement = in_state(select(PublishLog), "published", "withdrawn").where(PublishLog.business_date < before)
    return session.execute(statement.order_by(PublishLog.business_date.desc()).limit(1)).scalar_one_or_none()


# Built once: the service's hot path only binds values (building a select costs more than running it).
# The document only while the publication it is read under is still its date's latest decision: a rerun rewrites the
# date's documents in the same transaction that withdraws it, so a reader holding an older publication (the service
# caches it for a few seconds) gets nothing, never the rerun's ungated grade.
_DOCUMENT = select(GradeDocument.body).where(
    GradeDocument.business_date == bindparam("day"), GradeDocument.merchant_id == bindparam("merchant"),
    ~exists(select(PublishLog.id).where(PublishLog.business_date == bindparam("day"), PublishLog.id > bindparam("publication"))))


@functools.cache
def _rules(thresholds: Thresholds) -> dict[str, tuple]:
    """Per metric: its scorecard entry and gates, looked up once per thresholds file."""
    out: dict[str, tuple] = {}
    for metric in METRIC_DESCRIPTIONS:
        card = next((e for e in thresholds.scorecard if e.metric == metric), None)
        out[metric] = (card, [g for g in thresholds.gates if g.metric == metric])
    return out


_NUMBER_NAMES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _json_numbers(values: list[float]) -> list[str]:
    """Floats as ``json.dumps`` writes them: their repr, NaN and the infinities by their JavaScript names."""
    return [_NUMBER_NAMES.get(text, text) for text in map(repr, values)]


@functools.cache
def _metric_templates(thresholds: Thresholds) -> dict[str, tuple]:
    """Per metric, the JSON of its view around the value: (head up to the value, scorecard entry and the scorecard's
    fixed text, [(gate, JSON before "fired", JSON after it)]). Rendered once per thresholds file: a document is the
    merchant's values spliced in, the same bytes ``json.dumps`` of the view writes (tests/reference holds the dict
    renderer it must equal)."""
    out: dict[str, tuple] = {}
    dumps = functools.partial(json.dumps, ensure_ascii=False)
    for metric, (card, gates) in _rules(thresholds).items():
        head = f'{{"metric": {dumps(metric)}, "description": {dumps(METRIC_DESCRIPTIONS.get(metric, metric))}, "value": '
        scorecard = None
        if card is not None:
            scorecard = (card, f', "scorecard": {{"free_up_to": {dumps(card.free)}, "weight": {dumps(card.weight)}, '
                               f'"max_points_lost": {dumps(card.cap)}, "points_lost": ')
        gate_parts = [(g, f'{{"at_least": {dumps(g.at_least)}, "cap": {dumps(g.cap)}, "count_metric": {dumps(g.count_metric)}, '
                          f'"min_count": {dumps(g.min_count)}, "fired": ', f', "text": {dumps(g.text)}}}') for g in gates]
        out[metric] = (head, scorecard, gate_parts)
    return out


def _metric_views(metric: str, values: list[float], thresholds: Thresholds) -> list[str]:
    """The JSON text of one metric against its thresholds (value, scorecard points, gates) for each of ``values``."""
    numbers = _json_numbers(values)
    template = _metric_templates(thresholds).get(metric)
    if template is None:  # a metric without a description, scorecard entry or gate
        name = json.dumps(metric, ensure_ascii=False)
        return [f'{{"metric": {name}, "description": {name}, "value": {number}}}' for number in numbers]
    head, scorecard, gates = template
    views = [head + number for number in numbers]
    if scorecard is not None:
        card, text = scorecard
        lost = _json_numbers([round(min(card.cap, card.weight * max(0.0, value - card.free)), 2) for value in values])
        views = [f"{view}{text}{points}}}" for view, points in zip(views, lost)]
    if gates:
        views = [view + ', "gates": [' + ", ".join(before + ("true" if value >= g.at_least else "false") + after
                                                   for g, before, after in gates) + "]"
                 for view, value in zip(views, values)]
    return [view + "}" for view in views]


def build_grade_documents(grades: pd.DataFrame, metrics: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """One JSON document per graded merchant: the grade, every metric against its thresholds, and the reasons.

    ``grades`` has the columns of the grades table; ``metrics`` is long (merchant_id, metric, value). Rendered when the
    grades are written (grades of a date change only when that date is graded again), so the lookup service serves
    stored text. The publication block is added at read time: publishing does not change a grade."""
    merchants = metrics["merchant_id"].to_numpy(dtype=str)
    codes, names = pd.factorize(metrics["metric"].to_numpy(dtype=object))
    values = metrics["value"].to_numpy(dtype=float)
    views = np.empty(len(values), dtype=object)
    by_metric = np.argsort(codes, kind="stable")
    for code, rows in enumerate(np.split(by_metric, np.cumsum(np.bincount(codes, minlength=len(names)))[:-1])):
        views[rows] = _metric_views(names[code], values[rows].tolist(), thresholds)  # one template, plain floats
    order = np.lexsort((np.asarray(names, dtype=str)[codes], merchants))  # each merchant's metrics by name
    merchants, views = merchants[order], views[order]
    starts = np.flatnonzero(np.r_[True, merchants[1:] != merchants[:-1]]) if len(merchants) else np.zeros(0, dtype=int)
    ends = np.r_[starts[1:], len(merchants)]
    by_merchant = {merchants[a]: ", ".join(views[a:b]) for a, b in zip(starts.tolist(), ends.tolist())}
    bodies = []
    for row in grades.itertuples(index=False):
        head = json.dumps({
            "merchant_id": row.merchant_id,
            "tier": row.tier,
            "tier_name": row.tier_name,
            "projected_tier": _none(row.projected_tier),
            "previous_tier": _none(row.previous_tier),
            "effective_from": _iso(_none(row.effective_from)),
            "score": _none(row.score),
            "as_of": _iso(_none(row.business_date)),
            "window": {"start": _iso(_none(row.window_start)), "end": _iso(_none(row.window_end))},
            "grade_version": row.grade_version,
            "reasons": json.loads(row.decided_by),
        }, ensure_ascii=False, default=str)
        bodies.append(f'{head[:-1]}, "metrics": [{by_merchant.get(row.merchant_id, "")}]}}')
    # Bodies as Python strings: an Arrow string column would copy every document once more before it is written.
    return pd.DataFrame({"business_date": grades["business_date"].to_numpy(), "merchant_id": grades["merchant_id"].to_numpy(),
                         "body": pd.Series(bodies, dtype=object, index=grades.index)})


def publication_block(publication: PublishLog, session: Session | None = None) -> dict:
    """Who published the grades and why; with a session, also the model version each detector scored with that night
    (the models behind every grade of the publication)."""
    block = {"status": publication.status, "reason": publication.reason, "actor": publication.actor}
    if session is not None:
        block["models"] = night_models(session, publication.business_date)
    return block


def night_models(session: Session, business_date) -> dict[str, str]:
    """{detector: model version} the night of ``business_date`` pinned (its scores carry the same versions)."""
    from trust.db.tables import ModelPin

    rows = session.execute(select(ModelPin.detector, ModelPin.version).where(ModelPin.business_date == business_date)
                           .order_by(ModelPin.detector)).all()
    return {detector: version for detector, version in rows}


def grade_document(connection: Connection, merchant_id: str, publication: PublishLog) -> str | None:
    """The stored JSON text of the merchant's grade in ``publication`` (without the publication block), or None (no
    such merchant, or ``publication`` is no longer its date's latest decision)."""
    return connection.execute(_DOCUMENT, {"day": publication.business_date, "merchant": merchant_id,
                                          "publication": publication.id}).scalar_one_or_none()


def with_publication(body: str, block_json: str) -> str:
    """Splice the publication block (already JSON) into a stored document without re-parsing it."""
    return f'{body[:-1]}, "published": {block_json}}}'


def grade_record(session: Session, merchant_id: str, publication: PublishLog) -> dict | None:
    """The merchant's grade in ``publication`` with its metrics against their thresholds, or None if not graded."""
    body = grade_document(session.connection(), merchant_id, publication)
    if body is None:
        return None
    return json.loads(with_publication(body, json.dumps(publication_block(publication, session), ensure_ascii=False)))


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


def _none(value):
    """pandas' missing markers as JSON null; numpy scalars as Python ones."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value
