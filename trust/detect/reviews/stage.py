"""Nightly fake-review detection (刷单 / 刷好评): the review stage of the pipeline.

Reads the window's reviews (with their orders and the listing reviewed), computes the signals of
``trust.detect.reviews.signals``, scores them with the trained model shipped in ``models/reviews`` (or, where no model
is installed, the unsupervised rules; the model's text model reads each review's text once and its signals are stored
in ``review_text_scores``) and spreads suspicion from the analysts' verdicts in ``moderation_labels``.
Writes a probability and reasons per review and the lockstep rings found. Each reviewer's, product's and merchant's
lifetime history is kept incrementally (``trust.detect.reviews.history``) and joins the window's own reviews, so an
old account is not mistaken for a new one.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_by_ids, read_columns, read_frame, store_computed
from trust.db.tables import ModerationLabel, Order, Review, ReviewRing, ReviewTextFeature, ReviewTextScore
from trust.db.text_hash import text_hash
from trust.detect.base import empty_result
from trust.detect.reviews.history import prior_history, update_history
from trust.detect.reviews.model import KIND_SCORES, WORDING_AT, FakeReviewDetector, load_model
from trust.detect.reviews.signals import BAND_COLUMNS, TEXT_FEATURES, review_signals, text_features
from trust.detect.reviews.text import TEXT_MODEL_COLUMNS
from trust.settings import PROJECT_ROOT

NAME = "reviews"
ENTITY = "review"
VERSION = "reviews-0.4"
TEXT_FEATURES_VERSION = "text-1"  # bump when text_features changes: stored rows are then recomputed
FLAG_AT = 0.5
MODEL_DIR = PROJECT_ROOT / "models" / "reviews"
log = logging.getLogger(__name__)


def _in_window(window_start: dt.date, window_end: dt.date):
    return and_(Review.created_at >= dt.datetime.combine(window_start, dt.time()),
                Review.created_at < dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time()))


def load_reviews(session: Session, window_start: dt.date, window_end: dt.date, with_text: bool = True) -> pd.DataFrame:
    """Reviews created in the window in the detector's canonical columns (product = the listing reviewed). Without
    ``with_text``: each review's ``text_hash`` instead of its text (see :class:`WindowTexts`)."""
    statement = (
        select(Review.review_id, Review.merchant_id, Review.listing_id, Review.reviewer_id, Review.reviewer_registered_at,
               Review.rating, Review.text if with_text else Review.text_hash, Review.created_at,
               Order.order_id.label("matched_order"), Order.ordered_at.label("order_created_at"))
        .outerjoin(Order, Order.order_id == Review.order_id)
        .where(_in_window(window_start, window_end))
        .order_by(Review.review_id)
    )
    frame = read_columns(session, statement)  # a million rows on PostgreSQL: by COPY
    frame["product_id"] = frame["listing_id"].where(frame["listing_id"].notna(), frame["merchant_id"])
    frame["has_order"] = frame["matched_order"].notna()
    return frame.drop(columns=["listing_id", "matched_order"])


def analyst_verdicts(session: Session, review_ids: pd.Series) -> pd.Series:
    """Analysts' latest verdict per review (1 = confirmed fake, 0 = cleared), NaN where there is none."""
    labels = read_frame(session, select(ModerationLabel.entity_id, ModerationLabel.label, ModerationLabel.decided_at)
                        .where(ModerationLabel.entity_type == ENTITY))
    known = pd.Series(np.nan, index=review_ids.index)
    if labels.empty:
        return known
    latest = labels.sort_values("decided_at").drop_duplicates("entity_id", keep="last").set_index("entity_id")["label"]
    verdict = latest.map({"fake_review": 1.0, "genuine": 0.0})
    return pd.Series(review_ids.map(verdict).to_numpy(dtype=float), index=review_ids.index)


def installed_model() -> FakeReviewDetector:
    """The shipped model (the first champion; the nightly stage scores with the version the night pinned)."""
    return load_model(MODEL_DIR)


def text_hashes(reviews: pd.DataFrame) -> np.ndarray:
    """CRC-32 of each review's text (:func:`trust.db.text_hash.text_hash`): what says a stored row was computed from
    the text the review has now."""
    texts = reviews["text"]
    return np.fromiter(map(text_hash, texts), dtype=np.int64, count=len(texts))


class WindowTexts:
    """The texts of the window's reviews (loaded without them), read from the warehouse only for the rows that need
    them: a night reads the texts it has not read before (new or changed), not every text of its window."""

    def __init__(self, session: Session, reviews: pd.DataFrame, window_start: dt.date, window_end: dt.date):
        self.session, self.reviews, self.window = session, reviews, (window_start, window_end)
        self.texts = np.full(len(reviews), None, dtype=object)
        self.have = np.zeros(len(reviews), dtype=bool)

    def hashes(self) -> np.ndarray:
        """The stored hash of each review's text; the text is read and hashed where none is stored (a row loaded
        before hashes were)."""
        stored = self.reviews["text_hash"].to_numpy(dtype=float)
        missing = np.isnan(stored)
        hashes = np.where(missing, 0, np.nan_to_num(stored)).astype(np.int64)
        if missing.any():
            hashes[missing] = np.fromiter(map(text_hash, self.of(missing)[missing]), dtype=np.int64, count=int(missing.sum()))
        return hashes

    def of(self, rows: np.ndarray) -> np.ndarray:
        """Every review's text where ``rows`` (a boolean mask) is set (None elsewhere, unless read before)."""
        wanted = rows & ~self.have
        if wanted.any():
            ids = self.reviews["review_id"].to_numpy(dtype=object)
            if wanted.sum() * 2 > len(wanted):  # most of the window (a first night): one scan of it
                found = read_frame(self.session, select(Review.review_id, Review.text).where(_in_window(*self.window)))
            else:
                found = read_by_ids(self.session, select(Review.review_id, Review.text), Review.review_id, ids[wanted].tolist())
            text_of = dict(zip(found["review_id"], found["text"]))
            self.texts[wanted] = [text_of.get(i) for i in ids[wanted]]
            self.have |= wanted
        return self.texts

    def frame(self, rows: np.ndarray) -> pd.DataFrame:
        """The reviews with the texts of ``rows`` read (None elsewhere): what scoring needs of the texts."""
        return self.reviews.drop(columns="text_hash").assign(text=self.of(rows))


def _stored_per_review(session: Session, reviews: pd.DataFrame, table, columns: list[str], stamp: dict,
                       compute, hashes: np.ndarray | None = None, text_columns: tuple[str, ...] = (),
                       texts: WindowTexts | None = None) -> tuple[pd.DataFrame, int]:
    """``columns`` (numbers) and ``text_columns`` of the window's reviews, row for row: read where ``table`` holds them
    under ``stamp`` (the code or model version that computed them) for the same text, computed by ``compute(texts)``
    and stored only for the rest. ``hashes``: :func:`text_hashes` of the reviews when already taken. Returns (values,
    reviews computed now). ``texts``: where the texts are read from when ``reviews`` were loaded without them."""
    # Where the stamp is part of the key, only rows under this stamp are read; otherwise a review has one row whatever
    # its stamp, read with it and compared here, so one read also says which reviews have a row at all. The table is
    # read whole, without a join to the window's reviews (the join cost more than the rows outside the window, which
    # the reindex below drops).
    keyed = set(stamp) <= {c.name for c in table.__table__.primary_key.columns}
    stamped = [] if keyed else [getattr(table, name) for name in stamp]
    stored = read_columns(session, select(table.review_id, table.text_hash, *stamped,
                                          *[getattr(table, c) for c in [*columns, *text_columns]])
                          .where(*([getattr(table, name) == value for name, value in stamp.items()] if keyed else [])))
    hashes = text_hashes(reviews) if hashes is None else hashes
    stored = stored.set_index("review_id").reindex(reviews["review_id"].to_numpy())
    has_row = stored["text_hash"].notna().to_numpy()
    usable = has_row & np.logical_and.reduce([(stored[name] == value).to_numpy() for name, value in stamp.items()]) if not keyed else has_row
    fresh = np.where(usable, stored["text_hash"].to_numpy(dtype=float), np.nan) != hashes  # never stored is also "fresh"
    values = stored[columns].reset_index(drop=True).astype(float)  # rows not usable are fresh: overwritten below
    words = stored[list(text_columns)].reset_index(drop=True).astype(object)
    if fresh.any():
        computed = compute((texts.of(fresh) if texts is not None else reviews["text"].to_numpy())[fresh])
        values.loc[np.flatnonzero(fresh), columns] = computed[columns].to_numpy()
        for column in text_columns:
            words.loc[np.flatnonzero(fresh), column] = computed[column].to_numpy(dtype=object)
        rows = computed.assign(review_id=reviews["review_id"].to_numpy()[fresh], text_hash=hashes[fresh], **stamp)
        store_computed(session, table, rows, has_row[fresh])
    return (pd.concat([values, words], axis=1) if text_columns else values), int(fresh.sum())


def stored_text_features(session: Session, reviews: pd.DataFrame, hashes: np.ndarray | None = None,
                         texts: WindowTexts | None = None) -> tuple[pd.DataFrame, int]:
    """Text features of ``reviews``, row for row: read where stored, computed (and stored) only for reviews
    not seen before or whose text changed. Returns (features, reviews newly featurised)."""
    return _stored_per_review(session, reviews, ReviewTextFeature, TEXT_FEATURES + BAND_COLUMNS,
                              {"version": TEXT_FEATURES_VERSION}, text_features, hashes, texts=texts)


def stored_text_scores(session: Session, reviews: pd.DataFrame, model: FakeReviewDetector | None,
                       hashes: np.ndarray | None = None, texts: WindowTexts | None = None) -> tuple[pd.DataFrame | None, int]:
    """The text model's signals of ``reviews`` and the words behind a wording reason (``text_phrases``), row for
    row: read where stored for this text model, computed (and stored) only for reviews it has not read or whose text
    changed. (None, 0) without a text model."""
    version = model.text_model_version if model is not None else None
    if version is None:
        return None, 0
    return _stored_per_review(session, reviews, ReviewTextScore, TEXT_MODEL_COLUMNS, {"model_version": version},
                              model.text_parts, hashes, text_columns=("text_phrases", KIND_SCORES), texts=texts)


def score_reviews(reviews: pd.DataFrame, known: pd.Series | None = None, model: FakeReviewDetector | None = None,
                  text: pd.DataFrame | None = None, prior: dict[str, pd.DataFrame] | None = None,
                  text_scores: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores in the detector result shape, rings) for a frame of canonical reviews (``text``: their stored text
    features, row for row, if any; ``prior``: the reviewers', products' and merchants' history before the frame;
    ``text_scores``: the text model's stored signals, row for row, if any)."""
    signals, rings = review_signals(reviews, text=text, prior=prior)
    if text_scores is not None:
        signals = pd.concat([signals, text_scores.set_axis(signals.index)], axis=1)
    model = model or FakeReviewDetector().fit(signals)
    score, reasons = model.score_with_reasons(signals, known=known, flag_at=FLAG_AT)
    scores = pd.DataFrame({
        "entity_id": reviews["review_id"].to_numpy(), "entity_type": ENTITY, "merchant_id": reviews["merchant_id"].to_numpy(),
        "score": np.round(score, 6), "label": np.where(score >= FLAG_AT, "suspected_fake", None), "reasons": reasons,
    })
    return scores, rings


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date,
        model: FakeReviewDetector | None = None):
    """Score the window's reviews with ``model`` (the night's pinned champion; None: the unsupervised rules)."""
    history = update_history(session, business_date)
    log.info("review history: days from %s rebuilt from %d reviews (%d rows)", history["open_from"], history["reviews"], history["rows"])
    reviews = load_reviews(session, window_start, window_end, with_text=False)
    if reviews.empty:
        return empty_result()
    texts = WindowTexts(session, reviews, window_start, window_end)  # each text read only where it must be
    hashes = texts.hashes()  # taken once for both stored tables
    text, featurised = stored_text_features(session, reviews, hashes, texts)
    log.info("review text: %d of %d reviews segmented and featurised now, the rest read back", featurised, len(reviews))
    prior = prior_history(session, window_start, window_end)
    text_scores, read = stored_text_scores(session, reviews, model, hashes, texts)
    log.info("review text model: %d of %d reviews read now, the rest read back", read, len(reviews))
    # The texts scoring reads: the wording reasons whose words were not stored (rows stored before they were).
    unnamed = np.zeros(len(reviews), dtype=bool)
    if text_scores is not None:
        unnamed = (text_scores["text_model_score"].to_numpy() >= WORDING_AT) & text_scores["text_phrases"].isna().to_numpy()
    reviews = texts.frame(unnamed)
    log.info("review texts read from the warehouse: %d of %d", int(texts.have.sum()), len(reviews))
    scores, rings = score_reviews(reviews, analyst_verdicts(session, reviews["review_id"]), model, text, prior, text_scores)
    if rings.empty:
        rings = pd.DataFrame(columns=["ring_id", "accounts", "merchants", "first_day", "last_day", "reviews", "evidence"])
    return scores, {ReviewRing: rings.assign(business_date=business_date, model_version=VERSION)}
