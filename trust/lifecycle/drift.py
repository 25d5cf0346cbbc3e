"""Nightly drift checks: for each detector that scored with a model, the population stability index (PSI) of each of
its inputs and of its score on the night's new rows against the champion's reference (the data it was trained on), and
its flag rate against the last 30 nights. Written to ``model_drift``; a breach shows in the report and in the quality
gate (a warning, or a hold when the policy says so).

The reference of a model trained here (``trust_retrain``, ``trust models train``) is its training data. The shipped
models carry no training data, so their reference is the first night they scored, recorded on their registry row
(and said so in every check's text).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from sqlalchemy import select

from trust.db.engine import read_frame, replace_partition, session_scope
from trust.db.tables import Complaint, DetectorScore, DriftCheck, Listing, ModelRecord, Review
from trust.lifecycle.policy import Policy, load_policy
from trust.lifecycle.registry import RULES, pins
from trust.scoring import decile_reference, stability_against
from trust.settings import MODEL_DETECTORS, Settings

FEATURES = {  # what each detector reads, as numbers a distribution can be compared on
    "reviews": ("rating", "text_chars", "has_order", "account_age_days"),
    "listings": ("log_price", "title_chars", "description_chars"),
    "complaints": ("text_chars",),
}


def drift_features(detector: str, frame: pd.DataFrame) -> pd.DataFrame:
    def chars(column: str) -> pd.Series:
        return frame[column].fillna("").astype(str).str.len().astype(float) if column in frame else pd.Series(np.nan, index=frame.index)

    if detector == "reviews":
        created = pd.to_datetime(frame["created_at"], errors="coerce", format="mixed")
        registered = pd.to_datetime(frame["reviewer_registered_at"], errors="coerce", format="mixed")
        has_order = frame["has_order"].map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "1": 1.0, "0": 0.0}) \
            if "has_order" in frame else pd.Series(np.nan, index=frame.index)
        return pd.DataFrame({"rating": pd.to_numeric(frame["rating"], errors="coerce"), "text_chars": chars("text"),
                             "has_order": has_order.astype(float), "account_age_days": (created - registered).dt.days.astype(float)})
    if detector == "listings":
        return pd.DataFrame({"log_price": np.log1p(pd.to_numeric(frame["price"], errors="coerce").clip(lower=0)),
                             "title_chars": chars("title"), "description_chars": chars("description")})
    return pd.DataFrame({"text_chars": chars("text")})


def model_scores(detector: str, frame: pd.DataFrame, model) -> tuple[np.ndarray, float]:
    """(the model's score of every row, the share it flags) as the nightly stage scores them (listings and complaints;
    the review model's scores need the warehouse's behaviour context: the retraining passes them in)."""
    if detector == "listings":
        from trust.detect.listings.knowledge import assess_listings
        from trust.detect.listings.model import ListingContext, flag_threshold, listing_signals

        signals = listing_signals(frame, ListingContext.fit(frame))
        kinds, _, _ = assess_listings(model, frame, signals, flag_threshold(model))
        score = 1 - kinds[:, 0]
        return score, float((score >= flag_threshold(model)).mean())
    _, severity, _ = model.explain(frame["text"].fillna("").tolist())
    return np.asarray(severity, dtype=float) / 3.0, 1.0  # every complaint gets a category: the flag rate is 1


def profile_of(detector: str, frame: pd.DataFrame, model, source: str = "training data",
               scored: tuple[np.ndarray, float] | None = None) -> dict:
    """The reference a champion's nights are compared with: the deciles of each input and of its score on ``frame``
    (``scored``: the model's scores of ``frame`` and the share flagged, when already computed)."""
    features = drift_features(detector, frame)
    score, flag_rate = scored if scored is not None else model_scores(detector, frame, model)
    return {"source": source, "rows": int(len(frame)), "flag_rate": flag_rate,
            "features": {name: decile_reference(features[name].to_numpy()) for name in features},
            "score": decile_reference(score)}


def _tonight(session, detector: str, business_date: dt.date) -> pd.DataFrame:
    """The night's new rows (created or listed on the date) with tonight's score and flag."""
    start, end = dt.datetime.combine(business_date, dt.time()), dt.datetime.combine(business_date + dt.timedelta(days=1), dt.time())
    table, key, when, columns = {
        "reviews": (Review, Review.review_id, Review.created_at, [Review.rating, Review.text, Review.created_at, Review.reviewer_registered_at,
                                                                 Review.order_id.is_not(None).label("has_order")]),
        "listings": (Listing, Listing.listing_id, Listing.listed_at, [Listing.price, Listing.title, Listing.description]),
        "complaints": (Complaint, Complaint.complaint_id, Complaint.created_at, [Complaint.text]),
    }[detector]
    return read_frame(session, select(*columns, DetectorScore.score, DetectorScore.label)
                      .join(DetectorScore, (DetectorScore.entity_id == key) & (DetectorScore.business_date == business_date)
                            & (DetectorScore.detector == detector))
                      .where(when >= start, when < end))


def run_drift(settings: Settings, business_date: dt.date, policy: Policy | None = None) -> dict:
    """Measure and record tonight's drift of every detector that scored with a model; returns the breaches."""
    policy = policy or load_policy()
    limits = policy.drift
    pinned = pins(settings, business_date)
    rows: list[dict] = []
    with session_scope(settings.db_url) as session:
        for detector in MODEL_DETECTORS:
            mode, version = pinned[detector]
            if mode == RULES:
                continue
            record = session.get(ModelRecord, (detector, version))
            tonight = _tonight(session, detector, business_date)
            if record.profile is None:  # a shipped model: tonight is its reference from now on
                if tonight.empty:
                    continue
                features = drift_features(detector, tonight)
                record.profile = json.dumps({
                    "source": f"the first night it scored ({business_date}; no training data shipped with it)", "rows": int(len(tonight)),
                    "flag_rate": float(tonight["label"].notna().mean()),
                    "features": {name: decile_reference(features[name].to_numpy()) for name in features},
                    "score": decile_reference(tonight["score"].to_numpy(dtype=float))})
            profile = json.loads(record.profile)
            where = f"against {profile['source']} of {detector} {version}"
            if not tonight.empty:
                features = drift_features(detector, tonight)
                measured = [(f"psi:{name}", features[name].to_numpy(), reference)
                            for name, reference in profile["features"].items() if reference is not None]
                if profile.get("score") is not None:
                    measured.append(("psi:score", tonight["score"].to_numpy(dtype=float), profile["score"]))
                for measure, values, reference in measured:
                    psi = round(stability_against(reference, values), 4)
                    rows.append({"detector": detector, "measure": measure, "model_version": version, "value": psi, "reference": 0.0,
                                 "limit": limits.psi_limit, "breach": psi > limits.psi_limit,
                                 "text": f"{detector} {measure[4:]}: PSI {psi:.3f} on {len(values)} new rows {where} (limit {limits.psi_limit})"})
            rate = float(tonight["label"].notna().mean()) if len(tonight) else None
            past = read_frame(session, select(DriftCheck.value).where(
                DriftCheck.detector == detector, DriftCheck.measure == "flag_rate", DriftCheck.business_date < business_date,
                DriftCheck.business_date >= business_date - dt.timedelta(days=30), DriftCheck.value.is_not(None)))["value"]
            mean = float(past.mean()) if len(past) else None
            judged = rate is not None and mean is not None and len(past) >= limits.min_nights and mean > 0
            breach = judged and not (mean / limits.flag_rate_ratio <= rate <= mean * limits.flag_rate_ratio)
            text = (f"{detector} flag rate {rate:.2%} of {len(tonight)} new rows" if rate is not None else f"{detector}: no new rows tonight")
            text += (f" vs {mean:.2%} over the last {len(past)} nights (alarm beyond x{limits.flag_rate_ratio})" if judged
                     else f"; {len(past)} earlier nights (judged from {limits.min_nights})")
            rows.append({"detector": detector, "measure": "flag_rate", "model_version": version, "value": rate, "reference": mean,
                         "limit": limits.flag_rate_ratio, "breach": bool(breach), "text": text})
        replace_partition(session, DriftCheck, business_date, pd.DataFrame(rows, columns=[
            "detector", "measure", "model_version", "value", "reference", "limit", "breach", "text"]).assign(business_date=business_date))
    breaches = [r["text"] for r in rows if r["breach"]]
    return {"measures": len(rows), "breaches": breaches}


def drift_verdict(session, business_date: dt.date, policy: Policy | None = None) -> tuple[bool, float, float, str]:
    """For the quality gate: (passed, breaches, limit, detail). A breach is a warning unless the policy holds grades on it."""
    policy = policy or load_policy()
    frame = read_frame(session, select(DriftCheck.text).where(DriftCheck.business_date == business_date, DriftCheck.breach.is_(True)))
    if frame.empty:
        return True, 0.0, 0.0, "no model drift beyond the policy's limits"
    detail = ("holding (model policy hold_grades): " if policy.drift.hold_grades else "warning: ") + "; ".join(frame["text"])
    return not policy.drift.hold_grades, float(len(frame)), 0.0, detail
