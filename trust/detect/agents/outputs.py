"""What the reseller-network detector gives the rest of the system beside its scores: each merchant's pyramid risk
and flag, the queue of networks at or near the legal line, and the report's table of them."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import select

from trust.db.engine import read_frame, read_table
from trust.db.tables import ResellerNetwork
from trust.detect.base import MetricWindow
from trust.html import escape, reasons_cell, table

NEAR_THE_LINE = 0.6  # a network's risk from which analysts see it


def merchant_metrics(window: MetricWindow) -> pd.DataFrame:
    members = window.scores.set_index("merchant_id")
    return pd.DataFrame({"pyramid_risk": members["score"],
                         "pyramid_flagged": members["label"].str.startswith("pyramid_").fillna(False).astype(float)})


def network_items(session, latest: dt.date, decided) -> list[dict]:
    rows = read_frame(session, select(ResellerNetwork.root_id.label("item_id"), ResellerNetwork.risk.label("score"),
                                      ResellerNetwork.meets_legal_test, ResellerNetwork.participants, ResellerNetwork.evidence)
                      .where(ResellerNetwork.business_date == latest, ResellerNetwork.risk >= NEAR_THE_LINE,
                             ResellerNetwork.root_id.not_in(decided))
                      .order_by(ResellerNetwork.risk.desc(), ResellerNetwork.root_id))
    return [{"item_id": r.item_id, "merchant_id": r.item_id, "score": r.score,
             "label": "pyramid" if r.meets_legal_test else "emerging_pyramid",
             "reasons": json.loads(r.evidence), "participants": int(r.participants)} for r in rows.itertuples()]


def find_network(session, item_id: str) -> tuple[bool, str | None]:
    known = session.execute(select(ResellerNetwork.root_id).where(ResellerNetwork.root_id == item_id).limit(1)).first()
    return known is not None, item_id


def report_sections(session, business_date: dt.date) -> list[str]:
    networks = read_table(session, ResellerNetwork, ResellerNetwork.business_date == business_date,
                          ResellerNetwork.risk >= NEAR_THE_LINE)
    return [table("Reseller networks at or near the pyramid-selling line", ["root", "participants", "levels", "risk", "legal test", "evidence"],
                  [[escape(r.root_id), str(r.participants), str(r.levels), f"{r.risk:.2f}", "meets" if r.meets_legal_test else "approaching",
                    reasons_cell(r.evidence, 6)] for r in networks.sort_values("risk", ascending=False).itertuples()],
                  "no chain near the line")]
