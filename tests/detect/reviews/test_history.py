"""Lifetime review history: kept night by night it equals a rebuild from scratch, a rerun changes nothing, late
reviews (even a week late) are counted, and a window scored with its history sees what the whole history shows."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from trust.db.engine import dispose_engines, frame_to_records, read_table, session_scope, upsert
from trust.db.migrate import upgrade_database
from trust.db.tables import Review, ReviewHistory
from trust.detect.reviews.history import prior_history, totals_before, update_history
from trust.detect.reviews.signals import behaviour_signals, canonical

START = dt.date(2026, 10, 1)
LIFETIME = ["reviewer_reviews", "reviewer_single", "reviewer_prior_reviews", "reviewer_span_days", "reviewer_active_days",
            "reviewer_max_per_day", "reviewer_days_since_first", "account_age_days", "reviewer_extreme_share",
            "reviewer_positive_share", "reviewer_rating_std", "product_rating_deviation", "merchant_rating_deviation",
            "product_reviews", "product_age_days"]


def marketplace_reviews(n=1500, days=20, seed=5) -> pd.DataFrame:
    """Accounts that come back on several days, shops with a few listings, varied ratings."""
    rng = np.random.default_rng(seed)
    merchant = rng.integers(0, 12, n)
    day = np.sort(rng.integers(0, days, n))
    created = [dt.datetime.combine(START + dt.timedelta(days=int(d)), dt.time(8)) + dt.timedelta(minutes=int(m))
               for d, m in zip(day, rng.integers(0, 900, n))]
    return pd.DataFrame({
        "review_id": [f"R{i:05d}" for i in range(n)], "merchant_id": [f"M{m}" for m in merchant],
        "listing_id": [f"M{m}-L{k}" for m, k in zip(merchant, rng.integers(0, 3, n))],
        "reviewer_id": [f"U{u}" for u in rng.integers(0, 400, n)], "reviewer_registered_at": dt.datetime(2025, 1, 1),
        "rating": rng.choice([1, 2, 3, 4, 5], n, p=[0.1, 0.05, 0.1, 0.25, 0.5]), "text": "好", "created_at": created,
        "business_date": [c.date() for c in created],
    })


def canonical_frame(reviews):
    return canonical(reviews.rename(columns={"listing_id": "product_id"}).drop(columns=["business_date"]))


def test_a_window_scored_with_its_history_sees_what_the_whole_history_shows():
    reviews = marketplace_reviews()
    window_start = START + dt.timedelta(days=12)
    inside = (reviews["created_at"] >= pd.Timestamp(window_start)).to_numpy()
    whole = behaviour_signals(canonical_frame(reviews))[inside].reset_index(drop=True)
    prior = totals_before(reviews.rename(columns={"listing_id": "product_id"}), window_start)
    window = canonical_frame(reviews[inside].reset_index(drop=True))
    with_history = behaviour_signals(window, prior)
    pd.testing.assert_frame_equal(with_history[LIFETIME], whole[LIFETIME], check_exact=False, atol=1e-9)
    without = behaviour_signals(window)  # what a window-only job would believe
    assert (without["reviewer_reviews"] < whole["reviewer_reviews"]).mean() > 0.5


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path):
    def make():
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'w{len(urls)}.db'}"
        else:
            url = request.getfixturevalue("postgres_url") if not urls else None
            if url is None:  # a second PostgreSQL warehouse: empty the first instead
                url = urls[0]
                with session_scope(url) as session:
                    session.query(ReviewHistory).delete()
                    session.query(Review).delete()
        upgrade_database(url)
        urls.append(url)
        return url

    urls: list[str] = []
    yield make
    dispose_engines()


def load(url, reviews):
    with session_scope(url) as session:
        upsert(session, Review, frame_to_records(reviews))


def history(url) -> pd.DataFrame:
    with session_scope(url) as session:
        frame = read_table(session, ReviewHistory)
    return frame.sort_values(["level", "key", "day"]).reset_index(drop=True)


def test_history_kept_night_by_night_equals_a_rebuild_and_a_rerun_changes_nothing(warehouse):
    reviews = marketplace_reviews(n=600, days=8)
    nightly = warehouse()
    for offset in range(8):
        night = START + dt.timedelta(days=offset)
        load(nightly, reviews[reviews["business_date"] == night])
        with session_scope(nightly) as session:
            update_history(session, night)
    kept = history(nightly)
    with session_scope(nightly) as session:
        update_history(session, START + dt.timedelta(days=7))  # a rerun of the last night
    pd.testing.assert_frame_equal(history(nightly), kept)

    rebuilt = warehouse()
    load(rebuilt, reviews)
    with session_scope(rebuilt) as session:
        update_history(session, START + dt.timedelta(days=7))  # first run: reads every review once
    pd.testing.assert_frame_equal(history(rebuilt), kept)
    last = kept[(kept["level"] == "reviewer")].drop_duplicates("key", keep="last").set_index("key")["reviews"]
    assert last.sum() == len(reviews) and last.equals(reviews.groupby("reviewer_id").size().astype(float).reindex(last.index))


def test_a_review_arriving_a_day_late_is_counted_once(warehouse):
    url = warehouse()
    reviews = marketplace_reviews(n=200, days=5)
    late = reviews.index[(reviews["business_date"] == START + dt.timedelta(days=3))][:5]
    for offset in range(5):
        night = START + dt.timedelta(days=offset)
        today = reviews[(reviews["business_date"] == night) & ~reviews.index.isin(late)]
        if offset == 4:  # yesterday's late reviews land tonight, and one of today's is delivered twice
            today = pd.concat([today, reviews.loc[late].assign(business_date=night)])
        load(url, today)
        if offset == 4:
            load(url, today.head(1))
        with session_scope(url) as session:
            update_history(session, night)
    kept = history(url)
    reviewer_totals = kept[kept["level"] == "reviewer"].drop_duplicates("key", keep="last").set_index("key")["reviews"]
    assert reviewer_totals.sum() == len(reviews)



def test_reviews_delivered_a_week_late_reopen_their_accounts_history_and_match_a_rebuild(warehouse):
    reviews = marketplace_reviews(n=500, days=12)
    held_back = reviews.index[reviews["business_date"] == START + dt.timedelta(days=2)][:8]  # created day 2 ...
    nightly = warehouse()
    for offset in range(12):
        night = START + dt.timedelta(days=offset)
        today = reviews[(reviews["business_date"] == night) & ~reviews.index.isin(held_back)]
        if offset == 9:  # ... delivered on day 9, long after day 2 settled
            today = pd.concat([today, reviews.loc[held_back].assign(business_date=night)])
        load(nightly, today)
        with session_scope(nightly) as session:
            result = update_history(session, night)
        if offset == 9:
            assert result["late_reviews"] == len(held_back) and result["late_from"] == (START + dt.timedelta(days=2)).isoformat()
    kept = history(nightly)
    with session_scope(nightly) as session:
        update_history(session, START + dt.timedelta(days=11))  # a rerun changes nothing
    pd.testing.assert_frame_equal(history(nightly), kept)
    rebuilt = warehouse()
    load(rebuilt, reviews)
    with session_scope(rebuilt) as session:
        update_history(session, START + dt.timedelta(days=11))
    pd.testing.assert_frame_equal(kept, history(rebuilt))  # every day's totals, as if nothing had been late

def test_the_window_reads_each_account_s_history_from_before_it(warehouse):
    url = warehouse()
    reviews = marketplace_reviews(n=400, days=10)
    load(url, reviews)
    with session_scope(url) as session:
        update_history(session, START + dt.timedelta(days=9))
        prior = prior_history(session, START + dt.timedelta(days=6), START + dt.timedelta(days=9))
    before = reviews[reviews["created_at"] < pd.Timestamp(START + dt.timedelta(days=6))]
    in_window = set(reviews.loc[reviews["created_at"] >= pd.Timestamp(START + dt.timedelta(days=6)), "reviewer_id"])
    expected = before[before["reviewer_id"].isin(in_window)].groupby("reviewer_id").size().astype(float)
    pd.testing.assert_series_equal(prior["reviewer"]["reviews"].sort_index(), expected.sort_index(), check_names=False)
    assert set(prior) == {"reviewer", "product", "merchant"}


def test_nights_of_different_dates_rebuilding_history_at_once_wait_for_each_other(warehouse):
    """A backfill beside a rerun: two transactions rebuild overlapping days; on PostgreSQL the second waits for the
    first (it used to fail with a UniqueViolation on review_history's key), on SQLite the database serialises them."""
    import threading

    reviews = marketplace_reviews(n=600, days=8)
    url = warehouse()
    load(url, reviews)
    errors: list[BaseException] = []

    def night(offset: int) -> None:
        try:
            with session_scope(url) as session:
                update_history(session, START + dt.timedelta(days=offset))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=night, args=(offset,)) for offset in (6, 7, 7, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    rebuilt = warehouse()
    load(rebuilt, reviews)
    with session_scope(rebuilt) as session:
        update_history(session, START + dt.timedelta(days=7))
    pd.testing.assert_frame_equal(history(url), history(rebuilt))
