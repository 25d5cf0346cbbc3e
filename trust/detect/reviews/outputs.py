"""What the review detector gives the rest of the system beside its scores: its merchant metrics (review counts,
suspected fakes, ratings with and without them), its two queues (flagged reviews; rings) and its report sections."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import Float, and_, case, cast, func, select

from trust.db.engine import days_between, per_window, read_frame, read_table
from trust.db.shards import Shard
from trust.db.tables import DetectorScore, Review, ReviewRing
from trust.detect.base import MetricWindow
from trust.html import bar_chart, escape, reasons_cell, table

NAME = "reviews"
STATS = ("reviews", "suspected_fake_reviews", "average_rating", "adjusted_rating")


def review_stats(session, business_date: dt.date, starts: list[dt.date], window_end: dt.date,
                 shard: Shard = Shard()) -> list[pd.DataFrame]:
    """For each window from ``starts[i]`` (the first the widest) to ``window_end``: the reviews written in it and scored
    by the date's review stage, per merchant (index) of the shard: how many, how many suspected (flagged), their mean rating and the
    mean of the unflagged ones, computed by the database in one pass over the widest window."""
    suspected = DetectorScore.label.is_not(None)
    columns = []
    for i, start in enumerate(starts):
        inside = Review.created_at >= dt.datetime.combine(start, dt.time())
        columns += [func.sum(case((inside, 1), else_=0)).label(f"reviews_{i}"),
                    func.sum(case((and_(inside, suspected), 1), else_=0)).label(f"suspected_fake_reviews_{i}"),
                    cast(func.avg(case((inside, Review.rating))), Float).label(f"average_rating_{i}"),
                    cast(func.avg(case((and_(inside, ~suspected), Review.rating))), Float).label(f"adjusted_rating_{i}")]
    statement = (select(DetectorScore.merchant_id, *columns)
                 .join(Review, Review.review_id == DetectorScore.entity_id)
                 .where(DetectorScore.detector == NAME, DetectorScore.business_date == business_date,
                        days_between(Review.created_at, starts[0], window_end), shard.has(DetectorScore.merchant_id))
                 .group_by(DetectorScore.merchant_id))
    return per_window(read_frame(session, statement), STATS, len(starts))


def merchant_metrics(window: MetricWindow) -> pd.DataFrame:
    stats = window.own
    out = stats[list(STATS)].copy()
    out["fake_review_share"] = stats["suspected_fake_reviews"] / stats["reviews"]
    return out


def ring_items(session, latest: dt.date, decided) -> list[dict]:
    rows = read_frame(session, select(ReviewRing).where(ReviewRing.business_date == latest, ReviewRing.ring_id.not_in(decided))
                      .order_by(ReviewRing.accounts.desc(), ReviewRing.ring_id))
    return [{"item_id": r.ring_id, "merchant_id": None, "score": None, "label": "review_ring", "accounts": int(r.accounts),
             "merchants": json.loads(r.merchants), "reviews": int(r.reviews), "reasons": json.loads(r.evidence)}
            for r in rows.itertuples()]


def find_ring(session, item_id: str) -> tuple[bool, str | None]:
    known = session.execute(select(ReviewRing.ring_id).where(ReviewRing.ring_id == item_id).limit(1)).first()
    return known is not None, None


def report_sections(session, business_date: dt.date) -> list[str]:
    """Rings (a chart of their sizes and a table), the shops with the most flagged reviews, the highest-scored flags."""
    reviews = read_frame(session, select(DetectorScore.entity_id, DetectorScore.merchant_id, DetectorScore.score,
                                         DetectorScore.reasons)
                         .where(DetectorScore.business_date == business_date, DetectorScore.detector == NAME,
                                DetectorScore.label.is_not(None)))
    rings = read_table(session, ReviewRing, ReviewRing.business_date == business_date).sort_values(
        ["accounts", "ring_id"], ascending=[False, True])
    per_shop = reviews.groupby("merchant_id").size().sort_values(ascending=False).head(12)
    return [
        bar_chart(f"Review rings: accounts per ring ({len(rings)} rings)",
                  [(r.ring_id, float(r.accounts), "#9467bd") for r in rings.head(12).itertuples()], width=760),
        table("Review rings (刷单 groups)", ["ring", "accounts", "reviews", "days", "evidence"],
              [[escape(r.ring_id), str(r.accounts), str(r.reviews), f"{r.first_day} .. {r.last_day}", reasons_cell(r.evidence)]
               for r in rings.head(20).itertuples()], "no ring found"),
        bar_chart("Shops with the most reviews flagged as fake", [(m, float(n), "#d73027") for m, n in per_shop.items()], width=760),
        table("Fake-review flags: highest scores", ["review", "shop", "score", "why"],
              [[escape(r.entity_id), escape(r.merchant_id), f"{r.score:.2f}", reasons_cell(r.reasons)]
               for r in reviews.sort_values(["score", "entity_id"], ascending=[False, True]).head(20).itertuples()]),
    ]
