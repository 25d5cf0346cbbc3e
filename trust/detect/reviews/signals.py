"""Signals of bought reviews (刷单 / 刷好评), computed from whatever columns a review table has.

One frame in, one frame of numeric signals out, row for row. Canonical columns (all but one optional):

    review_id, reviewer_id, product_id, merchant_id, rating, created_at, text,
    reviewer_registered_at, has_order, order_created_at

A signal whose inputs are missing is left out (its column is NaN), never a crash: the gradient-boosted model treats
NaN as "unknown" natively, and the rules simply do not fire. ``product_id`` falls back to ``merchant_id`` (a Yelp
business is both) and the other way round.

Families: reviewer history (what the account had done up to and including this review), consensus (deviation from the
product's and merchant's rating without this review), sequence and bursts (position in the product's reviews; reviews
that day against the product's own baseline), order (no matching order, order-to-review lag), text (length,
specificity, templated praise, contact/diversion, sentiment against stars, near-duplicate text across accounts by
MinHash, which sees a traditional-script copy of a simplified review as the same text) and graph (lockstep rings; see
``trust.detect.reviews.rings``). Suspicion propagated from confirmed fakes is added by the estimator, which holds the labels.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from trust.settings import SHIPPED_DATA
from trust.text import normalize_text, segment

SENTIMENT_LEXICON = SHIPPED_DATA / "lexicon" / "review_sentiment.tsv"
CONTACT = re.compile(r"(微信|威信|薇信|v信|vx|wx|加v|加微|qq|扣扣|私聊|返现|电话|手机号|\d{7,}|https?://|www\.|\.com)", re.I)
NEAR_DUPLICATE_MIN_CHARS = 8  # "质量很好" alone is what everyone writes, not a copy
SHINGLE = 3
MINHASH_BANDS, MINHASH_ROWS = 5, 4
_PRIME = (1 << 61) - 1


@functools.cache
def sentiment_lexicon() -> dict[str, tuple[str, float]]:
    """word → (kind, weight): kinds ``positive``, ``negative``, ``template`` (stock praise of bought reviews)."""
    words: dict[str, tuple[str, float]] = {}
    for line in SENTIMENT_LEXICON.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, kind, weight = line.split("\t")
        words[normalize_text(word).lower()] = (kind, float(weight))
    return words


def canonical(reviews: pd.DataFrame) -> pd.DataFrame:
    """Parse the known columns; fill product from merchant (and back) when one of them is missing."""
    frame = reviews.copy()
    if "product_id" not in frame and "merchant_id" in frame:
        frame["product_id"] = frame["merchant_id"]
    if "merchant_id" not in frame and "product_id" in frame:
        frame["merchant_id"] = frame["product_id"]
    for column in ("created_at", "reviewer_registered_at", "order_created_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], errors="coerce", format="mixed")
    if "rating" in frame:
        frame["rating"] = pd.to_numeric(frame["rating"], errors="coerce")
    return frame


def _before(prior: dict[str, pd.DataFrame] | None, level: str, keys: pd.Series) -> pd.DataFrame | None:
    """The level's totals from before the frame (``trust.detect.reviews.history``), row for row; None without any."""
    if not prior or level not in prior or prior[level].empty:
        return None
    aligned = prior[level].reindex(keys.to_numpy())
    aligned.index = keys.index
    return aligned


def _plus(values: pd.Series, before: pd.DataFrame | None, column: str) -> pd.Series:
    return values if before is None else values + before[column].fillna(0.0)


def behaviour_signals(frame: pd.DataFrame, prior: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Reviewer history, consensus deviation, sequence and bursts, orders. ``frame`` from :func:`canonical`.

    ``prior``: per level (reviewer, product, merchant) the totals of each key from before the frame's reviews, indexed
    by key (columns of ``review_history.TOTALS``, days as integers): the nightly job passes the lifetime history kept
    by ``trust.detect.reviews.history`` so counts, shares, spans and consensus cover the account's and the shop's whole
    past, not only the window. Without it, the frame is the whole history."""
    out = pd.DataFrame(index=frame.index)
    has = set(frame.columns)
    # Each key as text (prior history is looked up by it) and as integer codes, which every group-by below uses:
    # the same groups, without hashing a million strings again for each of them.
    names = {c: frame[c].astype(str) for c in ("reviewer_id", "product_id", "merchant_id") if c in has}
    codes = {c: key_codes(keys) for c, keys in names.items()}
    timed = "created_at" in has and frame["created_at"].notna().any()
    if timed:
        created = frame["created_at"]
        day = (created - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    if "reviewer_id" in has:
        reviewer = codes["reviewer_id"]
        before = _before(prior, "reviewer", names["reviewer_id"])
        by_reviewer = frame.groupby(reviewer)
        out["reviewer_reviews"] = _plus(by_reviewer["reviewer_id"].transform("size").astype(float), before, "reviews")
        out["reviewer_single"] = (out["reviewer_reviews"] == 1).astype(float)
        if "product_id" in has:
            out["reviewer_products"] = codes["product_id"].groupby(reviewer).transform("nunique").astype(float)
        if timed:
            out["reviewer_prior_reviews"] = _plus(_prior_count(reviewer.fillna(-1.0), created), before, "reviews")
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
            key = codes[f"{level}_id"]
            before = _before(prior, level, names[f"{level}_id"])
            total = _plus(rating.groupby(key).transform("sum"), before, "rating_sum")
            count = _plus(rating.groupby(key).transform("count").astype(float), before, "reviews")
            others = (total - rating) / (count - 1).where(count > 1)
            out[f"{level}_rating_deviation"] = rating - others
        if "reviewer_id" in has:
            out["reviewer_mean_abs_deviation"] = out["product_rating_deviation"].abs().groupby(codes["reviewer_id"]).transform("mean")
    if "product_id" in has:
        product = codes["product_id"]
        before = _before(prior, "product", names["product_id"])
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
                key = codes[f"{level}_id"]
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


def key_codes(keys: pd.Series) -> pd.Series:
    """Codes of a column of keys, row for row: equal keys, equal whole numbers (in order of first appearance); a
    missing key is NaN, so a group-by leaves it out as it leaves out a missing key."""
    codes = pd.factorize(keys.to_numpy(dtype=object))[0].astype(float)
    codes[codes < 0] = np.nan
    return pd.Series(codes, index=keys.index)


def _prior_count(reviewer: pd.Series, created: pd.Series) -> pd.Series:
    """How many reviews the account had written before this one (``reviewer``: the account's key or its code)."""
    order = np.lexsort((created.to_numpy(dtype="datetime64[ns]"), reviewer.to_numpy()))
    ranks = pd.Series(np.empty(len(order)), index=reviewer.index)
    sorted_reviewers = reviewer.to_numpy()[order]
    starts = np.r_[True, sorted_reviewers[1:] != sorted_reviewers[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    ranks.iloc[order] = np.arange(len(order)) - group_start
    return ranks


TEXT_FEATURES = ["text_length", "text_distinct_share", "text_template_praise", "text_contact", "text_positive", "text_negative",
                 "text_specific_digits"]
BAND_COLUMNS = [f"text_band_{b}" for b in range(MINHASH_BANDS)]


def text_features(texts) -> pd.DataFrame:
    """What one review's text says on its own (normalised, segmented once): length, specificity, stock praise, contact
    patterns, sentiment, and its MinHash LSH band keys (NaN for texts too short to be a copy). Row for row; this is
    the part worth storing, so the nightly job segments each review once (see ``trust.detect.reviews.stage``)."""
    texts = [normalize_text(t).lower() if isinstance(t, str) else "" for t in texts]
    lexicon = sentiment_lexicon()
    n = len(texts)
    length, distinct, digits = np.zeros(n), np.zeros(n), np.zeros(n)
    positive, negative, template, contact = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    keys = []
    for i, text in enumerate(texts):
        compact = "".join(ch for ch in text if ch.isalnum())
        keys.append(compact)
        length[i] = len(compact)
        distinct[i] = len(set(compact)) / len(compact) if compact else 0.0
        digits[i] = sum(ch.isdigit() for ch in compact)
        contact[i] = CONTACT.search(text) is not None
        for word in segment(text):
            hit = lexicon.get(word)
            if hit is None:
                continue
            kind, weight = hit
            if kind == "positive":
                positive[i] += weight
            elif kind == "negative":
                negative[i] += weight
            else:
                template[i] += weight
                positive[i] += weight
    out = pd.DataFrame({"text_length": length, "text_distinct_share": distinct, "text_template_praise": template,
                        "text_contact": contact.astype(float), "text_positive": positive, "text_negative": negative,
                        "text_specific_digits": digits})
    bands = lsh_band_keys(keys)
    for band, column in enumerate(BAND_COLUMNS):
        out[column] = bands[:, band]
    return out


def lsh_band_keys(keys: list[str]) -> np.ndarray:
    """MinHash LSH band keys of compacted texts (one column per band; NaN for texts too short to be a copy)."""
    bands = np.full((len(keys), MINHASH_BANDS), np.nan)
    eligible = np.flatnonzero(np.fromiter((len(k) >= NEAR_DUPLICATE_MIN_CHARS for k in keys), dtype=bool, count=len(keys)))
    if len(eligible):
        signatures = minhash_signatures([keys[i] for i in eligible])
        for band in range(MINHASH_BANDS):
            rows = signatures[:, band * MINHASH_ROWS:(band + 1) * MINHASH_ROWS]
            bucket = rows[:, 0]
            for column in range(1, MINHASH_ROWS):  # one key per band (wrapping arithmetic is fine for a hash)
                bucket = bucket * np.int64(2_147_483_647) + rows[:, column]
            bands[eligible, band] = (bucket >> np.int64(11)).astype(float)  # 53 bits: exact in a float column
    return bands


def text_signals(frame: pd.DataFrame, features: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-text features (computed here unless given, row for row) plus what needs the other reviews: sentiment
    against stars and near-duplicates across accounts."""
    if "text" not in frame and features is None:
        return pd.DataFrame(index=frame.index)
    features = text_features(frame["text"]) if features is None else features
    out = features[TEXT_FEATURES].set_axis(frame.index)
    if "rating" in frame:
        rating = frame["rating"].to_numpy(dtype=float)
        positive, negative = out["text_positive"].to_numpy(), out["text_negative"].to_numpy()
        out["text_rating_mismatch"] = np.where(rating >= 4, negative - positive, np.where(rating <= 2, positive - negative, 0.0)).clip(min=0)
    n = len(frame)
    accounts = frame["reviewer_id"].astype(str).to_numpy() if "reviewer_id" in frame else np.arange(n).astype(str)
    day = None
    if "created_at" in frame and frame["created_at"].notna().any():
        day = ((frame["created_at"] - pd.Timestamp("1970-01-01")).dt.days).fillna(-1).astype(int).to_numpy()
    out["text_near_duplicate_accounts"] = _near_duplicates_from_bands(features[BAND_COLUMNS].to_numpy(), accounts, day)
    return out


def minhash_signatures(texts: list[str], permutations: int = MINHASH_BANDS * MINHASH_ROWS, seed: int = 7) -> np.ndarray:
    """MinHash of each text's character 3-shingles (rows of -1 for texts shorter than a shingle), vectorised."""
    n = len(texts)
    signatures = np.full((n, permutations), -1, dtype=np.int64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    shingles = np.maximum(lengths - SHINGLE + 1, 0)
    if shingles.sum() == 0:
        return signatures
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    owner = np.repeat(np.arange(n), shingles)
    offset = np.arange(int(shingles.sum())) - np.repeat(np.r_[0, np.cumsum(shingles)[:-1]], shingles)
    position = starts[owner] + offset
    value = (codes[position] * np.uint64(1_000_003) + codes[position + 1]) * np.uint64(1_000_003) + codes[position + 2]
    value = value % np.uint64(_PRIME)
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 31, permutations, dtype=np.uint64)
    b = rng.integers(0, 1 << 31, permutations, dtype=np.uint64)
    first = np.r_[0, np.cumsum(shingles)[:-1]][shingles > 0]
    has = np.flatnonzero(shingles > 0)
    low = value & np.uint64((1 << 31) - 1)  # keep products inside 64 bits
    for k in range(permutations):
        hashed = (a[k] * low + b[k]) % np.uint64((1 << 31) - 1)
        signatures[has, k] = np.minimum.reduceat(hashed, first).astype(np.int64)
    return signatures


def near_duplicate_accounts(keys: list[str], accounts: np.ndarray, day: np.ndarray | None, window_days: int = 2) -> np.ndarray:
    """For each text, how many other accounts wrote a near-duplicate within ``window_days`` of it (anywhere, without
    dates). MinHash LSH with 5 bands of 4 rows: a pair whose 3-shingle Jaccard is 0.9 meets with p 0.99, at 0.7 with
    p 0.75, at 0.3 with p 0.04. Never all pairs: texts meet only inside LSH buckets, counted by distinct accounts."""
    bands = lsh_band_keys(keys)
    return _near_duplicates_from_bands(bands, np.asarray(accounts), day, window_days)


NEAR_KEY_LIMIT = 2**62  # cells × accounts above this: pairs sorted as two columns, not one integer


def _near_duplicates_from_bands(bands: np.ndarray, accounts: np.ndarray, day: np.ndarray | None, window_days: int = 2) -> np.ndarray:
    """For each row with band keys, the distinct accounts sharing one of its LSH buckets within ``window_days`` of its
    day, less one (the most over the bands). Distinct accounts per (bucket, day) summed over the days of the window
    (an account posting on two days of the window counts twice: a small overcount that only strengthens a true copy
    ring). On integer codes: each (bucket, day) cell a number, its accounts counted by sorting (cell, account) pairs,
    looked up by binary search (``tests/reference/near_duplicates_v1.py`` holds the pandas version it equals)."""
    n = len(bands)
    result = np.zeros(n)
    index = np.flatnonzero(~np.isnan(bands[:, 0])) if n else np.zeros(0, dtype=int)
    if not len(index):
        return result
    days = np.zeros(len(index), dtype=np.int64) if day is None else np.asarray(day, dtype=np.int64)[index]
    spans = [0] if day is None else range(-window_days, window_days + 1)
    account = pd.factorize(np.asarray(accounts, dtype=object)[index], use_na_sentinel=False)[0].astype(np.int64)
    accounts_n = int(account.max()) + 1
    offset = days - days.min() + window_days  # a cell's day and its neighbours within the window stay in its bucket's block
    width = int(offset.max()) + window_days + 1
    for band in range(bands.shape[1]):
        raw = bands[index, band].astype(np.int64)
        order = np.argsort(raw, kind="stable")
        bucket = np.empty(len(raw), dtype=np.int64)
        bucket[order] = np.cumsum(np.r_[True, raw[order][1:] != raw[order][:-1]]) - 1  # dense bucket codes
        cell = bucket * width + offset
        if (int(cell.max()) + 1) * accounts_n < NEAR_KEY_LIMIT:
            keys = np.sort(cell * accounts_n + account)
            pairs = keys[np.r_[True, keys[1:] != keys[:-1]]] // accounts_n  # the cell of each distinct (cell, account)
        else:  # too many cells × accounts for one integer key
            by_pair = np.lexsort((account, cell))
            c, a = cell[by_pair], account[by_pair]
            pairs = c[np.r_[True, (c[1:] != c[:-1]) | (a[1:] != a[:-1])]]
        starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]])
        cells, counts = pairs[starts], np.diff(np.r_[starts, len(pairs)])  # distinct accounts per cell, cells sorted
        by_cell = np.argsort(cell, kind="stable")  # looked up in order: a binary search of sorted values stays in cache
        wanted_sorted = cell[by_cell]
        found = np.zeros(len(index))
        for shift in spans:
            wanted = wanted_sorted + shift
            at = np.minimum(np.searchsorted(cells, wanted), len(cells) - 1)
            found += np.where(cells[at] == wanted, counts[at], 0)
        total = np.empty(len(index))
        total[by_cell] = found
        result[index] = np.maximum(result[index], total - 1)
    return result


def graph_signals(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lockstep rings (see ``trust.detect.reviews.rings``): the ring of each review and its size; and the rings found."""
    out = pd.DataFrame(index=frame.index)
    needed = {"review_id", "reviewer_id", "merchant_id", "created_at", "rating"}
    if not needed <= set(frame.columns) or frame["created_at"].isna().all():
        return out, pd.DataFrame()
    from trust.detect.reviews.rings import find_review_rings

    rings, membership = find_review_rings(frame.dropna(subset=["created_at"]))
    membership = membership.reindex(frame.index)
    sizes = rings.set_index("ring_id")["accounts"] if not rings.empty else pd.Series(dtype=float)
    out["ring"] = membership
    out["ring_accounts"] = membership.map(sizes).astype(float).fillna(0.0)
    return out, rings


# Carried with the signals, not model inputs: the text is read by the estimator's own text model
# (``trust.detect.reviews.text``); text_phrases are its stored words behind a wording reason and text_kind_scores its
# stored signals of the kinds of fake it learnt (``stage.stored_text_scores``).
ID_COLUMNS = ["reviewer_id", "product_id", "ring", "text", "text_phrases", "text_kind_scores"]


def review_signals(reviews: pd.DataFrame, with_rings: bool = True, text: pd.DataFrame | None = None,
                   prior: dict[str, pd.DataFrame] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(signals, rings): every signal the columns allow, row for row with ``reviews``, with the reviewer and product
    ids the estimator needs to spread suspicion and the text its text model reads; and the lockstep rings found. ``text`` is :func:`text_features` of
    the reviews when already stored (row for row), so their text is not segmented again; ``prior`` the history from
    before the reviews (see :func:`behaviour_signals`)."""
    frame = canonical(reviews)
    graph, rings = graph_signals(frame) if with_rings else (pd.DataFrame(index=frame.index), pd.DataFrame())
    ids = pd.DataFrame({c: frame[c].astype(str) for c in ("reviewer_id", "product_id") if c in frame}, index=frame.index)
    if "text" in frame:
        ids["text"] = frame["text"].where(frame["text"].notna(), "")
    return pd.concat([behaviour_signals(frame, prior), text_signals(frame, text), graph, ids], axis=1), rings
