"""What the listing detector gives the rest of the system beside its scores: its merchant metrics and report section."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from trust.db.engine import read_frame
from trust.db.tables import DetectorScore
from trust.detect.base import MetricWindow
from trust.html import escape, reasons_cell, table


def merchant_metrics(window: MetricWindow) -> pd.DataFrame:
    listings = window.scores.assign(risky=window.scores["label"].notna())
    by_merchant = listings.groupby("merchant_id")
    return pd.DataFrame({"listings": by_merchant.size(), "risky_listing_share": by_merchant["risky"].mean()})


def report_sections(session, business_date: dt.date) -> list[str]:
    listings = read_frame(session, select(DetectorScore.entity_id, DetectorScore.merchant_id, DetectorScore.score,
                                          DetectorScore.label, DetectorScore.reasons)
                          .where(DetectorScore.business_date == business_date, DetectorScore.detector == "listings",
                                 DetectorScore.label.is_not(None)))
    return [table("Riskiest listings", ["listing", "shop", "score", "flag", "why"],
                  [[escape(r.entity_id), escape(r.merchant_id), f"{r.score:.2f}", escape(r.label), reasons_cell(r.reasons)]
                   for r in listings.sort_values(["score", "entity_id"], ascending=[False, True]).head(20).itertuples()])]
