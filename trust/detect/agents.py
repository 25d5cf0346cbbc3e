"""Baseline reseller-chain detector (传销化): build the recruitment forest from agent_links and test each chain
against the pyramid-selling line (≥30 participants, ≥3 levels, pay to join).

The walk is level by level with vectorised merges and a visited set, so cycles and self-links cannot loop.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import AgentLink
from trust.detect.base import empty_result, reasons_json

NAME = "agents"
ENTITY = "merchant"
VERSION = "agents-chain-0.1"
LEGAL_MIN_PARTICIPANTS = 30
LEGAL_MIN_LEVELS = 3


def load_links(session: Session, window_end: dt.date) -> pd.DataFrame:
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = (
        select(AgentLink.link_id, AgentLink.recruiter_id, AgentLink.recruit_id, AgentLink.entry_fee, AgentLink.joined_at)
        .where(AgentLink.joined_at < end)
        .order_by(AgentLink.joined_at, AgentLink.link_id)
    )
    return read_frame(session, statement)


def build_forest(links: pd.DataFrame) -> pd.DataFrame:
    """Each reachable merchant with its root and level (root = level 1). Self-links and second recruiters are
    ignored (the first link of a recruit wins); members only reachable through a cycle are left out."""
    links = links[links["recruiter_id"] != links["recruit_id"]].drop_duplicates("recruit_id", keep="first")
    recruits = set(links["recruit_id"])
    roots = sorted(set(links["recruiter_id"]) - recruits)
    frontier = pd.DataFrame({"merchant_id": roots, "root_id": roots, "level": 1})
    seen = set(roots)
    levels = [frontier]
    children = links[["recruiter_id", "recruit_id", "entry_fee"]]
    while not frontier.empty:
        step = frontier[["merchant_id", "root_id", "level"]].merge(children, left_on="merchant_id", right_on="recruiter_id")
        step = step[~step["recruit_id"].isin(seen)]
        frontier = pd.DataFrame({"merchant_id": step["recruit_id"], "root_id": step["root_id"], "level": step["level"] + 1,
                                 "entry_fee": step["entry_fee"], "recruiter_id": step["recruiter_id"]})
        seen.update(frontier["merchant_id"])
        levels.append(frontier)
    forest = pd.concat(levels, ignore_index=True)
    forest["entry_fee"] = forest["entry_fee"].fillna(0.0)
    return forest


def chain_summary(forest: pd.DataFrame) -> pd.DataFrame:
    return forest.groupby("root_id").agg(
        participants=("merchant_id", "size"), levels=("level", "max"), entry_fees=("entry_fee", "sum"),
        paying_members=("entry_fee", lambda s: int((s > 0).sum())),
    )


def chain_risk(summary: pd.DataFrame) -> pd.Series:
    """0–1: how close a chain is to the legal pyramid test; pay-to-join carries half the weight."""
    size = (summary["participants"] / LEGAL_MIN_PARTICIPANTS).clip(upper=1.0)
    depth = (summary["levels"] / LEGAL_MIN_LEVELS).clip(upper=1.0)
    paying = (summary["paying_members"] / summary["participants"].clip(lower=1)).clip(upper=1.0)
    return 0.25 * size + 0.25 * depth + 0.5 * (paying >= 0.5)


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    links = load_links(session, window_end)
    if links.empty:
        return empty_result()
    forest = build_forest(links)
    summary = chain_summary(forest)
    summary["risk"] = chain_risk(summary)
    summary["meets_legal_test"] = (
        (summary["participants"] >= LEGAL_MIN_PARTICIPANTS) & (summary["levels"] >= LEGAL_MIN_LEVELS) & (summary["entry_fees"] > 0)
    )
    merged = forest.join(summary, on="root_id")
    merged = merged[merged["participants"] > 1]
    max_level = merged["levels"]
    role = np.where(merged["level"] == 1, "root", np.where(merged["level"] < max_level, "upline", "downline"))
    reasons = reasons_json([
        [("chain", f"{'root' if r == 'root' else 'member at level ' + str(lv)} of a reseller chain under {root}: "
                   f"{p} participants, {L} levels, ¥{fees:,.0f} entry fees")]
        + ([("pyramid_test", "meets the pyramid-selling test: ≥30 participants, ≥3 levels, pay to join")] if legal else [])
        for r, lv, root, p, L, fees, legal in zip(role, merged["level"], merged["root_id"], merged["participants"],
                                                  merged["levels"], merged["entry_fees"], merged["meets_legal_test"])
    ])
    return pd.DataFrame({
        "entity_id": merged["merchant_id"].to_numpy(), "entity_type": ENTITY, "merchant_id": merged["merchant_id"].to_numpy(),
        "score": np.round(merged["risk"].to_numpy(), 6),
        "label": np.where(merged["meets_legal_test"], np.char.add("pyramid_", role.astype(str)), None), "reasons": reasons,
    }).sort_values("entity_id", ignore_index=True)
