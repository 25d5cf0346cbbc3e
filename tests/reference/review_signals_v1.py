"""The behaviour signals that group by key as they were before they grouped by integer codes (issue 21), kept only as
the reference the fast ones must equal, value for value, where every review has an account id (with one missing, its
_prior_count read every id as its first letter: the fast one is right there, see test_stage). Copied from
trust/detect/reviews/signals.py at a75ed56; not used by the package."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trust.detect.reviews.signals import _before, _plus


def behaviour_signals(frame: pd.DataFrame, prior: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Reviewer history, consensus deviation, sequence and bursts, orders. ``frame`` from :func:`canonical`.

    ``prior``: per level (reviewer, product, merchant) the totals of each key from before the frame's reviews, indexed
    by key (columns of ``review_history.TOTALS``, days as integers): the nightly job passes the lifetime history kept
    by ``trust.detect.reviews.history`` so counts, shares, spans and consensus cover the account's and the shop's whole
    past, not only the window. Without it, the frame is the whole history."""
    out = pd.DataFrame(index=frame.index)
    has = set(frame.columns)
    timed = "created_at" in has and frame["created_at"].notna().any()
    if timed:
        created = frame["created_at"]
        day = (created - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    if "reviewer_id" in has:
        reviewer = frame["reviewer_id"].astype(str)
        before = _before(prior, "reviewer", reviewer)
        by_reviewer = frame.groupby(reviewer)
        out["reviewer_reviews"] = _plus(by_reviewer["reviewer_id"].transform("size").astype(float), before, "reviews")
        out["reviewer_single"] = (out["reviewer_reviews"] == 1).astype(float)
        if "product_id" in has:
            out["reviewer_products"] = frame.groupby(reviewer)["product_id"].transform("nunique").astype(float)
        if timed:
            out["reviewer_prior_reviews"] = _plus(_prior_count(reviewer, created), before, "reviews")
            days = pd.DataFrame({"r": reviewer, "d": day})
            first, last = days.groupby("r")["d"].transform("min"), days.groupby("r")["d"].transform("max")
            if before is not None:
                first = pd.Series(np.fmin(first.to_numpy(), before["first_day"].to_numpy(dtype=float)), index=frame.index)
            out["reviewer_span_days"] = last - first
            out["reviewer_active_days"] = _plus(days.groupby("r")["d"].transform("nunique").astype(float), before, "active_days")
            out["reviewer_same_day"] = days.groupby(["r", "d"])["d"].transform("size").astype(float)
            out["reviewer_max_per_day"] = out["reviewer_same_day"].groupby(reviewer).transform("max")
            if before is not None:
                out["reviewer_max_per_day"] = np.fmax(out["reviewer_max_per_day"].to_numpy(), before["max_per_day"].to_numpy(dtype=float))
            out["reviewer_days_since_first"] = day - first
            if "reviewer_registered_at" in has:
                age = (created - frame["reviewer_registered_at"]).dt.total_seconds() / 86400.0
                out["account_age_days"] = age.where(age.notna(), out["reviewer_days_since_first"])
            else:
                out["account_age_days"] = out["reviewer_days_since_first"]
        if "rating" in has:
            rating = frame["rating"]
            if before is None:
                out["reviewer_extreme_share"] = rating.isin([1, 5]).astype(float).groupby(reviewer).transform("mean")
                out["reviewer_positive_share"] = (rating >= 4).astype(float).groupby(reviewer).transform("mean")
                out["reviewer_rating_std"] = rating.groupby(reviewer).transform("std").fillna(0.0)
            else:
                n = _plus(by_reviewer["reviewer_id"].transform("size").astype(float), before, "reviews")
                for name, hit, column in (("extreme", rating.isin([1, 5]), "extreme"), ("positive", rating >= 4, "positive")):
                    out[f"reviewer_{name}_share"] = _plus(hit.astype(float).groupby(reviewer).transform("sum"), before, column) / n
                rated = _plus(rating.groupby(reviewer).transform("count").astype(float), before, "reviews")
                total = _plus(rating.groupby(reviewer).transform("sum"), before, "rating_sum")
                squares = _plus((rating ** 2).groupby(reviewer).transform("sum"), before, "rating_sq")
                variance = ((squares - total ** 2 / rated) / (rated - 1).where(rated > 1)).clip(lower=0.0)
                out["reviewer_rating_std"] = np.sqrt(variance).fillna(0.0)
    if "rating" in has and "product_id" in has:
        rating = frame["rating"]
        for level in ("product", "merchant"):
            key = frame[f"{level}_id"].astype(str)
            before = _before(prior, level, key)
            total = _plus(rating.groupby(key).transform("sum"), before, "rating_sum")
            count = _plus(rating.groupby(key).transform("count").astype(float), before, "reviews")
            others = (total - rating) / (count - 1).where(count > 1)
            out[f"{level}_rating_deviation"] = rating - others
        if "reviewer_id" in has:
            out["reviewer_mean_abs_deviation"] = out["product_rating_deviation"].abs().groupby(frame["reviewer_id"].astype(str)).transform("mean")
    if "product_id" in has:
        product = frame["product_id"].astype(str)
        before = _before(prior, "product", product)
        out["product_reviews"] = _plus(product.groupby(product).transform("size").astype(float), before, "reviews")
        if "reviewer_single" in out:
            out["product_single_share"] = out["reviewer_single"].groupby(product).transform("mean")
        if timed:
            out["product_rank"] = day.groupby(product).rank(method="average")
            out["product_rank_share"] = day.groupby(product).rank(pct=True)
            first = day.groupby(product).transform("min")
            if before is not None:
                first = pd.Series(np.fmin(first.to_numpy(), before["first_day"].to_numpy(dtype=float)), index=frame.index)
            out["product_age_days"] = day - first
            for level in ("product", "merchant"):
                key = frame[f"{level}_id"].astype(str)
                per_day = pd.DataFrame({"k": key, "d": day}).groupby(["k", "d"])["d"].transform("size").astype(float)
                active = pd.DataFrame({"k": key, "d": day, "n": per_day}).drop_duplicates(["k", "d"])
                usual = active.groupby("k")["n"].median().clip(lower=1.0)
                out[f"{level}_day_reviews"] = per_day
                out[f"{level}_burst_ratio"] = per_day / key.map(usual).to_numpy()
            week = (day // 7)
            if "reviewer_single" in out:
                out["product_week_single_share"] = out["reviewer_single"].groupby([product, week]).transform("mean")
            if "rating" in has:
                out["product_week_extreme_share"] = frame["rating"].isin([1, 5]).astype(float).groupby([product, week]).transform("mean")
    if "has_order" in has:
        out["no_order"] = (~frame["has_order"].astype("boolean").fillna(False)).astype(float)
    if "order_created_at" in has and timed:
        out["order_to_review_days"] = (frame["created_at"] - frame["order_created_at"]).dt.total_seconds() / 86400.0
    if "rating" in has:
        out["rating"] = frame["rating"].astype(float)
    return out


def _prior_count(reviewer: pd.Series, created: pd.Series) -> pd.Series:
    """How many reviews the account had written before this one."""
    order = np.lexsort((created.to_numpy(dtype="datetime64[ns]"), reviewer.to_numpy(dtype=str)))
    ranks = pd.Series(np.empty(len(order)), index=reviewer.index)
    sorted_reviewers = reviewer.to_numpy(dtype=str)[order]
    starts = np.r_[True, sorted_reviewers[1:] != sorted_reviewers[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    ranks.iloc[order] = np.arange(len(order)) - group_start
    return ranks
