"""Nightly listing moderation and the single-listing check at listing time (上架审核).

Nightly: every listing in the catalogue is scored with ``models/listings`` (or the rules, without a model) against the
night's market context: category prices, the token price index, copied titles and each seller's record (failed test
buys, counterfeit complaints, takedowns). The context is kept in the warehouse (``listing_markets``), so a single check
at listing time, on any machine, compares the new listing with the same market (:class:`ListingChecker`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trust.db.engine import json_lists, read_columns, read_frame, store_computed
from trust.db.tables import (Complaint, DetectorScore, Listing, ListingMarket, ListingReading, ListingTextPart, ModerationLabel,
                             SpotCheck)
from trust.detect.base import empty_result
from trust.detect.listings.knowledge import (assess_listings, evidence_json, evidence_of, files_fingerprint, knowledge_version,
                                            own_parts)
from trust.detect.listings.model import (CONTEXT_FILE, DEFAULT_FLAG_AT, ListingContext, ListingDetector, ListingTexts,
                                        flag_threshold, listing_signals, load_listing_model)
from trust.errors import Invalid
from trust.settings import PROJECT_ROOT

NAME = "listings"
ENTITY = "listing"
VERSION = "listings-0.2"
FLAG_AT = DEFAULT_FLAG_AT  # without a model (rules); a trained model carries its own (flag_threshold)
MODEL_DIR = PROJECT_ROOT / "models" / "listings"
log = logging.getLogger(__name__)


def load_listings(session: Session, window_end: dt.date) -> pd.DataFrame:
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = select(*[c for c in Listing.__table__.columns]).where(Listing.listed_at < end).order_by(Listing.listing_id)
    return read_frame(session, statement)


def seller_events(session: Session, window_start: dt.date, window_end: dt.date, complaint_model=None) -> pd.DataFrame:
    """Failed test buys, takedowns (analysts' labels) and counterfeit complaints in the window, one row per event.
    Complaints the complaint stage has not categorised yet are classified with ``complaint_model`` (the night's pinned
    complaint model; by default the shipped one)."""
    from trust.detect.complaints.stage import classifier

    start, end = dt.datetime.combine(window_start, dt.time()), dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    checks = read_frame(session, select(SpotCheck.listing_id, SpotCheck.merchant_id).where(
        SpotCheck.result != "pass", SpotCheck.checked_at >= start, SpotCheck.checked_at < end)).assign(event="failed_check")
    taken = read_frame(session, select(ModerationLabel.entity_id.label("listing_id"), Listing.merchant_id)
                       .join(Listing, Listing.listing_id == ModerationLabel.entity_id)
                       .where(ModerationLabel.entity_type == ENTITY, ModerationLabel.label.in_(["counterfeit", "false_advertising"]),
                              ModerationLabel.decided_at >= start, ModerationLabel.decided_at < end)).assign(event="takedown")
    complaints = read_frame(session, select(Complaint.complaint_id, Complaint.listing_id, Complaint.merchant_id, Complaint.text)
                            .where(Complaint.created_at >= start, Complaint.created_at < end, Complaint.listing_id.is_not(None)))
    if len(complaints):
        # The complaints stage runs beside this one: reuse its latest earlier night's categories and classify only
        # the complaints it has not seen yet.
        latest = select(func.max(DetectorScore.business_date)).where(DetectorScore.detector == "complaints",
                                                                     DetectorScore.business_date < window_end)
        known = read_frame(session, select(DetectorScore.entity_id, DetectorScore.label).where(
            DetectorScore.detector == "complaints", DetectorScore.business_date == latest.scalar_subquery()))
        labels = known.set_index("entity_id")["label"] if len(known) else pd.Series(dtype=object)
        category = complaints["complaint_id"].map(labels).to_numpy(dtype=object)
        unseen = pd.isna(category)
        if unseen.any():
            category[unseen] = (complaint_model or classifier()).predict(complaints["text"].to_numpy()[unseen].tolist())
        complaints = complaints[category == "counterfeit"]
    complaints = complaints.drop(columns=["complaint_id", "text"]).assign(event="counterfeit_complaint")
    return pd.concat([checks, taken, complaints], ignore_index=True)


def installed_model() -> ListingDetector:
    """The shipped model (the first champion; the nightly stage scores with the version the night pinned)."""
    return load_listing_model(MODEL_DIR)


def score_listings(listings: pd.DataFrame, context: ListingContext, events: pd.DataFrame | None,
                   model: ListingDetector | None, tokens: list[set[str]] | None = None, parts_of=None,
                   texts: ListingTexts | None = None) -> pd.DataFrame:
    """Scores and reasons of ``listings`` in ``context``. ``parts_of(model, listings, signals)``: where the listings'
    own parts (:func:`trust.detect.listings.knowledge.own_parts`) come from, if not computed here."""
    signals = listing_signals(listings, context, events, tokens, texts)
    model = model or ListingDetector().fit(signals)
    parts = parts_of(model, listings, signals) if parts_of is not None else None
    kinds, names, reasons = assess_listings(model, listings, signals, flag_threshold(model), parts=parts)  # the knowledge needs no market
    return pd.DataFrame({
        "entity_id": listings["listing_id"].to_numpy(), "entity_type": ENTITY, "merchant_id": listings["merchant_id"].to_numpy(),
        "score": np.round(1 - kinds[:, 0], 6), "label": names, "reasons": reasons,
    })


def content_hashes(listings: pd.DataFrame) -> np.ndarray:
    """CRC-32 of what a listing's own parts are computed from: title, description, price and category."""
    import zlib

    columns = [listings[c].tolist() if c in listings else [None] * len(listings) for c in ("title", "description", "price", "category")]
    return np.fromiter((zlib.crc32("\x1f".join("" if v is None or v != v else repr(v) if isinstance(v, float) else str(v)
                                                for v in row).encode("utf-8", "surrogatepass"))
                        for row in zip(*columns)), dtype=np.int64, count=len(listings))


def stored_own_parts(session: Session, model_version: str, hashes: np.ndarray | None = None):
    """A ``parts_of`` for :func:`score_listings` that reads each listing's own parts where ``listing_text_parts`` holds
    them for this model and knowledge and the same content, and computes and stores them only for the rest: a listing
    is read once, not every night. Sets ``.computed`` on itself to the number computed. ``hashes``: the
    :func:`content_hashes` of the listings it will be given, when already taken."""
    version = f"{model_version}/{knowledge_version()}"
    given = hashes

    def parts_of(model, listings: pd.DataFrame, signals: pd.DataFrame):
        stored = read_columns(session, select(ListingTextPart.listing_id, ListingTextPart.content_hash, ListingTextPart.evidence,
                                              ListingTextPart.text_proba).where(ListingTextPart.version == version))
        hashes = content_hashes(listings) if given is None else given
        stored = stored.set_index("listing_id").reindex(listings["listing_id"].to_numpy())
        has_row = stored["content_hash"].notna().to_numpy()
        fresh = np.where(has_row, stored["content_hash"].to_numpy(dtype=float), np.nan) != hashes
        texts = stored["evidence"].to_numpy(dtype=object)
        evidence = [None if e is None else evidence_of(e) for e in json_lists(texts, ~fresh & pd.notna(texts))]
        probabilities = stored["text_proba"].tolist()
        rows = np.flatnonzero(fresh)
        if len(rows):
            new_evidence, new_proba = own_parts(model, listings.iloc[rows], signals.iloc[rows])
            for position, row in enumerate(rows):
                evidence[row] = new_evidence[position]
                probabilities[row] = None if new_proba is None else json.dumps(new_proba[position].tolist())
            written = pd.DataFrame({"listing_id": listings["listing_id"].to_numpy()[rows], "version": version,
                                    "content_hash": hashes[rows], "evidence": [evidence_json(e) for e in new_evidence],
                                    "text_proba": [probabilities[row] for row in rows]})
            store_computed(session, ListingTextPart, written, has_row[rows])  # re-delivered with other content: replaced
        parts_of.computed = len(rows)
        if model.mode_ != "trained" or not len(listings):  # rules: no wording model (as ``model.text_proba`` says)
            return evidence, None
        return evidence, np.array(json_lists(probabilities), dtype=float).reshape(len(listings), -1)

    parts_of.computed = 0
    return parts_of


def readings_version() -> str:
    """Fingerprint of everything a listing's reading (:class:`ListingTexts`) is computed from: the lexicon and brand
    files, the domain dictionary and the code that reads them. Readings stored under another fingerprint are read
    again."""
    from trust import text
    from trust.detect import lexicon
    from trust.detect.listings import brands as brand_catalogue
    from trust.detect.listings import model as listing_model
    from trust.detect.reviews import signals as review_signals

    files = [*sorted(p for p in lexicon.LEXICON.glob("*") if p.is_file()), lexicon.SHIPPED_DATA / "brands.csv", brand_catalogue.CATALOGUE,
             text.DOMAIN_DICTIONARY]
    return files_fingerprint(files + [Path(m.__file__) for m in (text, lexicon, brand_catalogue, listing_model, review_signals)])


def stored_readings(session: Session, listings: pd.DataFrame, hashes: np.ndarray | None = None) -> tuple[ListingTexts, int]:
    """The :class:`ListingTexts` of ``listings``, row for row: read back from ``listing_readings`` where a listing was
    read before under this :func:`readings_version` with the same content, read now (and stored) for the rest. Returns
    (readings, listings read now). Equal to ``ListingTexts.of(listings)``. ``hashes``: their :func:`content_hashes`,
    when already taken."""
    version = readings_version()
    hashes = content_hashes(listings) if hashes is None else hashes
    stored = read_columns(session, select(ListingReading.listing_id, ListingReading.version, ListingReading.content_hash,
                                          ListingReading.normal, ListingReading.text, ListingReading.title_compact,
                                          ListingReading.slang, ListingReading.bands, ListingReading.tokens))
    stored = stored.set_index("listing_id").reindex(listings["listing_id"].to_numpy())
    has_row = stored["content_hash"].notna().to_numpy()
    usable = has_row & (stored["version"] == version).to_numpy()
    fresh = np.where(usable, stored["content_hash"].to_numpy(dtype=float), np.nan) != hashes
    rows = np.flatnonzero(fresh)
    if len(rows) == len(listings):
        readings = ListingTexts.of(listings)
    else:
        kept = ~fresh
        normal = stored["normal"].fillna("").tolist()  # a text column read back: "" may come back missing
        text = stored["text"].fillna("").tolist()
        title = stored["title_compact"].fillna("").tolist()
        slang, tokens, bands = (json_lists(stored[c].to_numpy(dtype=object), kept) for c in ("slang", "tokens", "bands"))
        tokens = [None if t is None else set(t) for t in tokens]
        if len(rows):
            new = ListingTexts.of(listings.iloc[rows])
            for position, row in enumerate(rows.tolist()):
                normal[row], text[row], title[row] = new.normal[position], new.text[position], new.titles_compact[position]
                slang[row], tokens[row], bands[row] = new.slang[position], new.tokens[position], new.bands[position].tolist()
        readings = ListingTexts(normal, text, title, slang, np.array(bands, dtype=float).reshape(len(listings), -1), tokens)
    if len(rows):
        written = pd.DataFrame({
            "listing_id": listings["listing_id"].to_numpy()[rows], "version": version, "content_hash": hashes[rows],
            "normal": [readings.normal[r] for r in rows], "text": [readings.text[r] for r in rows],
            "title_compact": [readings.titles_compact[r] for r in rows],
            "slang": [json.dumps(readings.slang[r], ensure_ascii=False) for r in rows],
            "bands": [json.dumps(readings.bands[r].tolist()) for r in rows],
            "tokens": [json.dumps(sorted(readings.tokens[r]), ensure_ascii=False) for r in rows]})
        store_computed(session, ListingReading, written, has_row[rows])  # another version or content: replaced
    return readings, len(rows)


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date,
        model: ListingDetector | None = None, complaint_model=None, model_version: str | None = None,
        stored: bool = True):
    """Score every listing with ``model`` (the night's pinned champion; None: the rules) in the night's market. With
    ``model_version``, each listing's own parts are read where stored for that model (see :func:`stored_own_parts`).
    Each listing's words are read once (:func:`stored_readings`): the market context of the night is rebuilt from the
    stored readings and the day's new listings, not from every listing's text. ``stored=False`` reads every listing
    again and stores nothing (what the stored path must equal)."""
    listings = load_listings(session, window_end)
    if listings.empty:
        return empty_result()
    events = seller_events(session, window_start, window_end, complaint_model)
    # Read once, for the market (price index, copies, slang) and each listing's signals; stored, so once per listing.
    hashes = content_hashes(listings) if stored else None
    if stored:
        texts, read = stored_readings(session, listings, hashes)
        log.info("listings: %d of %d read for the market now, the rest read back", read, len(listings))
    else:
        texts = ListingTexts.of(listings)
    context = ListingContext.fit(listings, events, texts=texts)
    store_market(session, business_date, context)  # what listing-time checks compare with, on any machine
    parts_of = stored_own_parts(session, model_version, hashes) if model_version is not None and stored else None
    scores = score_listings(listings, context, events, model, parts_of=parts_of, texts=texts)
    if parts_of is not None:
        log.info("listings: %d of %d read now (knowledge and wording), the rest read back", parts_of.computed, len(listings))
    return scores


def store_market(session: Session, business_date: dt.date, context: ListingContext) -> None:
    """The night's market context, in the warehouse (replacing the date's earlier one), for listing-time checks."""
    import pickle

    from sqlalchemy import delete

    session.execute(delete(ListingMarket).where(ListingMarket.business_date == business_date))
    session.add(ListingMarket(business_date=business_date, built_at=dt.datetime.fromisoformat(context.built) if context.built
                              else dt.datetime.now(), body=pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)))


def _has_markets(session: Session) -> bool:
    """Whether the warehouse holds market contexts at all (a new or not yet migrated warehouse has no table)."""
    from sqlalchemy import inspect as inspect_database

    return inspect_database(session.connection()).has_table(ListingMarket.__tablename__)


def latest_market(session: Session) -> tuple[ListingContext, str] | None:
    """The newest market context in the warehouse and where it comes from, in words; None before the first night (or
    in a warehouse that was never migrated)."""
    import pickle

    if not _has_markets(session):
        return None
    row = session.execute(select(ListingMarket).order_by(ListingMarket.business_date.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    return pickle.loads(row.body), f"nightly market context of {row.business_date} (built {row.built_at:%Y-%m-%d %H:%M})"


def latest_market_date(session: Session) -> dt.date | None:
    return session.execute(select(func.max(ListingMarket.business_date))).scalar() if _has_markets(session) else None


class ListingChecker:
    """The single-listing check, with model and market context loaded once (a service or a CLI call)."""

    def __init__(self, state_dir: Path | None = None, model_dir: Path | None = MODEL_DIR,
                 market: tuple[ListingContext, str] | None = None):
        """``model_dir``: the model's folder (None: the rules). ``market``: (context, where it comes from), as
        :func:`latest_market` reads it from the warehouse; else a context file under ``state_dir``, else the model's
        training catalogue."""
        import joblib

        self.model = load_listing_model(model_dir) if model_dir is not None else ListingDetector().fit(None)
        self.model_dir = model_dir
        saved = state_dir / CONTEXT_FILE if state_dir is not None else None
        if market is not None:
            self.context, self.context_source = market
        elif saved is not None and saved.exists():
            saved_at = dt.datetime.fromtimestamp(saved.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            self.context, self.context_source = joblib.load(saved), f"nightly market context saved {saved_at}"
        elif getattr(self.model, "context_", None) is not None:
            self.context, self.context_source = self.model.context_, "the model's training catalogue"
        else:
            empty = pd.DataFrame(columns=["listing_id", "merchant_id", "title", "description", "brand", "category", "price"])
            self.context, self.context_source = ListingContext.fit(empty), "no market context"

    @classmethod
    def for_settings(cls, settings) -> ListingChecker:
        """The check as the nightly run would score: the registry's current champion (the rules if the operator chose
        rules mode for listings) and the last night's market context, read from the warehouse."""
        from trust.db.engine import session_scope
        from trust.lifecycle.registry import champion_folder

        model_dir = None if "listings" in settings.rules_mode else champion_folder(settings, "listings")
        with session_scope(settings.db_url) as session:
            market = latest_market(session)
        return cls(model_dir=model_dir, market=market)

    def check(self, title: str, price: float, brand: str | None = None, category: str | None = None,
              description: str | None = None, merchant: str | None = None) -> dict:
        if not title or not title.strip():
            raise Invalid("a listing needs a title")
        if price is None or not np.isfinite(price) or price < 0:
            raise Invalid(f"price must be a number of at least 0, not {price!r}")
        frame = pd.DataFrame([{"listing_id": "CHECK", "merchant_id": merchant or "", "title": title, "description": description,
                               "brand": brand, "category": category or "", "price": float(price)}])
        signals = listing_signals(frame, self.context)
        flag_at = flag_threshold(self.model)
        all_kinds, _, reasons = assess_listings(self.model, frame, signals, flag_at, only_flagged=False)
        kinds = all_kinds[0]
        probability = float(1 - kinds[0])
        flags = [k for k, p in (("counterfeit_risk", kinds[1]), ("false_advertising", kinds[2])) if p >= flag_at / 2 and probability >= flag_at]
        return {"probability": round(probability, 4), "verdict": "review" if probability >= flag_at else "pass", "flags": flags,
                "threshold": flag_at,
                "kind_probabilities": {"counterfeit": round(float(kinds[1]), 4), "false_advertising": round(float(kinds[2]), 4)},
                "reasons": json.loads(reasons[0]), "model": getattr(self.model, "mode_", "rules"),
                "model_version": self.model_dir.name if self.model_dir is not None else "rules",
                "context": self.context_source}
