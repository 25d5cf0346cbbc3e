"""Lifetime review history of every reviewer, product and merchant, kept up to date incrementally.

The nightly review stage scores the reviews of its window, but an account's or a shop's history does not start at
the window: an account with 300 reviews since 2023 is not a "new account with 2 reviews". ``review_history`` holds,
for each (level, key) and each day the key received reviews, its totals over all reviews *created* up to and
including that day (cumulative: reviews, active days, first day, most reviews in one day, extreme and positive
ratings, rating sum and sum of squares). A review's history at the time it was written is therefore the latest row
before its day, and the history before a window is the latest row before the window's first day.

Each night only the *open* days are rebuilt: the last ``SETTLE_DAYS`` days (late and corrected reviews still arrive
for them) plus any days since the last run. Their rows are the settled row before them plus the open days' reviews,
read by ``created_at`` from the warehouse, so a rerun gives the same rows and a review delivered twice is counted
once. A review delivered late (loaded in an open day's partition, created before the open days) reopens the settled
days of just its reviewer, product and merchant from its own day, so it is counted too; a first run with an empty
history reads all reviews once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from trust.db.engine import insert_rows, read_frame
from trust.db.locks import serialise_transaction
from trust.db.tables import Review, ReviewHistory

SETTLE_DAYS = 3
LEVELS = ("reviewer", "product", "merchant")
TOTALS = ["reviews", "active_days", "first_day", "max_per_day", "extreme", "positive", "rating_sum", "rating_sq"]
EPOCH = pd.Timestamp("1970-01-01")


def _key_column(level: str):
    """The warehouse expression of a level's key (product = the listing reviewed, else the merchant)."""
    return {"reviewer": Review.reviewer_id, "product": func.coalesce(Review.listing_id, Review.merchant_id),
            "merchant": Review.merchant_id}[level]


def daily_totals(reviews: pd.DataFrame) -> pd.DataFrame:
    """Per (level, key, day): that day's reviews, extreme (1 or 5 stars) and positive (4+) ratings, rating sum and
    sum of squares. ``reviews`` has reviewer_id, product_id, merchant_id, rating, created_at."""
    day = (pd.to_datetime(reviews["created_at"]).dt.normalize() - EPOCH).dt.days.to_numpy()
    rating = pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=float)
    parts = []
    for level in LEVELS:
        frame = pd.DataFrame({"key": reviews[f"{level}_id"].astype(str).to_numpy(), "day": day, "reviews": 1.0,
                              "extreme": np.isin(rating, (1, 5)).astype(float), "positive": (rating >= 4).astype(float),
                              "rating_sum": np.nan_to_num(rating), "rating_sq": np.nan_to_num(rating) ** 2})
        parts.append(frame.groupby(["key", "day"], as_index=False, sort=True).sum().assign(level=level))
    return pd.concat(parts, ignore_index=True)


def roll_forward(settled: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Cumulative rows for each (level, key, day) of ``daily``, continuing from each key's ``settled`` row (its
    totals before the first of those days; absent for keys never seen). Days are integers (days since 1970)."""
    daily = daily.sort_values(["level", "key", "day"]).reset_index(drop=True)
    group = daily.groupby(["level", "key"], sort=False)
    out = daily[["level", "key", "day"]].copy()
    out["day_reviews"] = daily["reviews"]
    for column in ("reviews", "extreme", "positive", "rating_sum", "rating_sq"):
        out[column] = group[column].cumsum()
    out["active_days"] = group.cumcount() + 1.0
    out["max_per_day"] = group["reviews"].cummax()
    out["first_day"] = group["day"].transform("min").astype(float)
    if settled is not None and not settled.empty:
        before = out[["level", "key"]].merge(settled, on=["level", "key"], how="left")
        for column in ("reviews", "extreme", "positive", "rating_sum", "rating_sq", "active_days"):
            out[column] = out[column] + before[column].fillna(0.0).to_numpy()
        out["max_per_day"] = np.fmax(out["max_per_day"].to_numpy(), before["max_per_day"].to_numpy(dtype=float))
        out["first_day"] = np.fmin(out["first_day"].to_numpy(), before["first_day"].to_numpy(dtype=float))
    return out


def as_prior(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each key's latest row, per level, indexed by key: the ``prior`` argument of ``behaviour_signals``."""
    return _by_level(rows.sort_values("day").drop_duplicates(["level", "key"], keep="last"))


def _by_level(latest: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {level: part[["key"] + TOTALS].set_index("key") for level, part in latest.groupby("level")}


def totals_before(reviews: pd.DataFrame, day: dt.date) -> dict[str, pd.DataFrame]:
    """The history of a frame of reviews before ``day`` without a warehouse (what ``prior_history`` reads)."""
    created = pd.to_datetime(reviews["created_at"])
    earlier = reviews[created < pd.Timestamp(day)]
    return as_prior(roll_forward(None, daily_totals(earlier))) if len(earlier) else {}


def _to_days(values: pd.Series) -> np.ndarray:
    return (pd.to_datetime(values) - EPOCH).dt.days.to_numpy(dtype=float)


def latest_before(session: Session, day: dt.date, keys_from) -> pd.DataFrame:
    """Each key's latest history row before ``day`` (its totals up to then), for the keys of the reviews matching
    ``keys_from`` (a SQLAlchemy condition on ``Review``), one query per level. Days as integers."""
    frames = []
    for level in LEVELS:
        keys = select(_key_column(level)).where(keys_from).distinct().scalar_subquery()
        latest = (select(ReviewHistory.key, func.max(ReviewHistory.day).label("day"))
                  .where(ReviewHistory.level == level, ReviewHistory.day < day, ReviewHistory.key.in_(keys))
                  .group_by(ReviewHistory.key).subquery())
        columns = [ReviewHistory.key] + [getattr(ReviewHistory, c) for c in TOTALS]
        rows = read_frame(session, select(*columns).join(latest, and_(ReviewHistory.key == latest.c.key, ReviewHistory.day == latest.c.day))
                          .where(ReviewHistory.level == level))
        frames.append(rows.assign(level=level))
    out = pd.concat(frames, ignore_index=True)
    if out.empty:
        return pd.DataFrame(columns=["level", "key"] + TOTALS)
    out["first_day"] = _to_days(out["first_day"])
    for column in TOTALS:
        out[column] = out[column].astype(float)
    return out


def _created_between(start: dt.date, end: dt.date):
    return and_(Review.created_at >= dt.datetime.combine(start, dt.time()),
                Review.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))


def update_history(session: Session, business_date: dt.date) -> dict:
    """Rebuild the open days' history rows (see the module docstring) for the night of ``business_date``."""
    # Nights of different dates may run at once (a backfill, a rerun beside tonight's run) and rebuild overlapping days.
    serialise_transaction(session, "review_history")
    last = session.scalar(select(func.max(ReviewHistory.day)).where(ReviewHistory.day <= business_date))
    if last is None:
        first_review = session.scalar(select(func.min(Review.created_at)).where(Review.created_at < dt.datetime.combine(business_date + dt.timedelta(days=1), dt.time())))
        if first_review is None:
            return {"open_from": None, "reviews": 0, "rows": 0}
        open_from = first_review.date()
    else:
        open_from = min(business_date, last) - dt.timedelta(days=SETTLE_DAYS - 1)
    late = _late_reviews(session, open_from, business_date)
    opened = _created_between(open_from, business_date)
    reviews = _read_reviews(session, opened)
    settled = latest_before(session, open_from, opened)
    session.execute(delete(ReviewHistory).where(ReviewHistory.day >= open_from, ReviewHistory.day <= business_date))
    written = _write(session, roll_forward(settled, daily_totals(reviews))) if len(reviews) else 0
    return {"open_from": open_from.isoformat(), "reviews": len(reviews), "rows": written, **late}


def _read_reviews(session: Session, condition) -> pd.DataFrame:
    return read_frame(session, select(Review.reviewer_id, _key_column("product").label("product_id"), Review.merchant_id,
                                      Review.rating, Review.created_at).where(condition))


def _write(session: Session, rows: pd.DataFrame) -> int:
    for column in ("day", "first_day"):
        rows[column] = (EPOCH + pd.to_timedelta(rows[column], unit="D")).dt.date
    return insert_rows(session, ReviewHistory, rows)


def _late_reviews(session: Session, open_from: dt.date, business_date: dt.date) -> dict:
    """Reviews loaded in the open days' partitions but created before them (delivered late): rebuild the settled rows
    of just their reviewers, products and merchants, from the day of the earliest such review to the day before the
    open days, so the open days then continue from corrected totals. A rerun rebuilds the same keys the same way."""
    late = and_(Review.business_date >= open_from, Review.business_date <= business_date,
                Review.created_at < dt.datetime.combine(open_from, dt.time()))
    earliest = session.scalar(select(func.min(Review.created_at)).where(late))
    if earliest is None:
        return {"late_reviews": 0}
    start, end = earliest.date(), open_from - dt.timedelta(days=1)
    settled = latest_before(session, start, late)
    written = 0
    for level in LEVELS:
        keys = select(_key_column(level)).where(late).distinct().scalar_subquery()
        session.execute(delete(ReviewHistory).where(ReviewHistory.level == level, ReviewHistory.key.in_(keys),
                                                    ReviewHistory.day >= start, ReviewHistory.day <= end))
        reviews = _read_reviews(session, and_(_key_column(level).in_(keys), _created_between(start, end)))
        daily = daily_totals(reviews)
        written += _write(session, roll_forward(settled[settled["level"] == level], daily[daily["level"] == level]))
    return {"late_reviews": int(session.scalar(select(func.count()).select_from(Review).where(late))), "late_from": start.isoformat(),
            "late_rows": written}


def prior_history(session: Session, window_start: dt.date, window_end: dt.date) -> dict[str, pd.DataFrame]:
    """Totals of each reviewer, product and merchant of the window's reviews from before the window, per level,
    indexed by key (the ``prior`` argument of ``behaviour_signals``)."""
    earliest = session.scalar(select(func.min(ReviewHistory.day)))
    if earliest is None or earliest >= window_start:  # no history from before the window
        return {}
    return _by_level(latest_before(session, window_start, _created_between(window_start, window_end)))
