"""Reseller-pyramid detector (传销化): from recruitment links and the orders between agents and to consumers,
build the reseller forest, describe every chain, and test it against the line Chinese law draws for a
pyramid-selling case: at least 30 participants, at least 3 levels, payment required to join, and pay tied
to recruitment (拉人头, 入门费, 团队计酬). Legitimate multi-tier distribution (no entry fees, income from retail)
fails the test however large it grows.

Everything is vectorised or iterative over levels (no per-node recursion), and cycles cannot loop: ingest
quarantines cycle-closing links, and the walk here starts from roots with one recruiter per agent.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import AgentLink, Merchant, Order, ResellerNetwork
from trust.detect.base import empty_result, reasons_json

NAME = "agents"
ENTITY = "merchant"
VERSION = "agents-network-0.2"
LEGAL_MIN_PARTICIPANTS = 30
LEGAL_MIN_LEVELS = 3
PAYING_SHARE_LINE = 0.5  # most members paid to join
RECRUITMENT_INCOME_LINE = 0.5  # most upline income comes from fees and downline purchases, not retail
EMERGING_RISK = 0.6
GROWTH_DAYS = 30
SQL_MEMBER_CHUNK = 10_000  # members bound per statement (SQLite allows 32,766 parameters)


def load_links(session: Session, window_end: dt.date) -> pd.DataFrame:
    end = dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time())
    statement = (
        select(AgentLink.link_id, AgentLink.recruiter_id, AgentLink.recruit_id, AgentLink.entry_fee, AgentLink.joined_at)
        .where(AgentLink.joined_at < end)
        .order_by(AgentLink.joined_at, AgentLink.link_id)
    )
    return read_frame(session, statement)


def load_chain_orders(session: Session, members: set[str], window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    """Orders in the window sold by chain members (to anyone) or bought by them, read through the seller and buyer
    indexes a chunk of members at a time (cost follows the members' orders, not every order of the window; the window
    and status are applied here, where the index on the order time would otherwise be chosen for a year's range)."""
    start = pd.Timestamp(dt.datetime.combine(window_start, dt.time()))
    end = pd.Timestamp(dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time()))
    listed = sorted(members)
    parts = [read_frame(session, select(Order.order_id, Order.merchant_id, Order.buyer_id, Order.amount, Order.quantity,
                                        Order.ordered_at, Order.status).where(column.in_(listed[i:i + SQL_MEMBER_CHUNK])))
             for column in (Order.merchant_id, Order.buyer_id) for i in range(0, len(listed), SQL_MEMBER_CHUNK)]
    orders = pd.concat(parts, ignore_index=True).drop_duplicates("order_id") if parts else pd.DataFrame(
        columns=["order_id", "merchant_id", "buyer_id", "amount", "quantity", "ordered_at", "status"])
    when = pd.to_datetime(orders["ordered_at"])
    orders = orders[(when >= start) & (when < end) & (orders["status"] != "cancelled")]
    return orders[["merchant_id", "buyer_id", "amount", "quantity"]].reset_index(drop=True)


def build_forest(links: pd.DataFrame) -> pd.DataFrame:
    """Each reachable agent with its root, level (root = 1), recruiter, entry fee and join time.

    Self-links and second recruiters are ignored (the first link of a recruit wins); agents reachable only
    through a cycle are left out."""
    links = links[links["recruiter_id"] != links["recruit_id"]].drop_duplicates("recruit_id", keep="first")
    recruits = set(links["recruit_id"])
    roots = sorted(set(links["recruiter_id"]) - recruits)
    frontier = pd.DataFrame({"merchant_id": roots, "root_id": roots, "level": 1})
    levels = [frontier]
    columns = ["recruiter_id", "recruit_id", "entry_fee"] + (["joined_at"] if "joined_at" in links.columns else [])
    children = links[columns]
    # With one recruiter per agent, a walk down from the roots reaches each agent once and never enters a cycle
    # (an agent on a cycle reachable from a root would need two recruiters); the bound is a second guard.
    for _ in range(len(links) + 1):
        if frontier.empty:
            break
        step = frontier[["merchant_id", "root_id", "level"]].merge(children, left_on="merchant_id", right_on="recruiter_id")
        frontier = pd.DataFrame({"merchant_id": step["recruit_id"], "root_id": step["root_id"], "level": step["level"] + 1,
                                 "recruiter_id": step["recruiter_id"], "entry_fee": step["entry_fee"]})
        if "joined_at" in step.columns:
            frontier["joined_at"] = step["joined_at"].to_numpy()
        levels.append(frontier)
    forest = pd.concat(levels, ignore_index=True)
    forest["entry_fee"] = forest["entry_fee"].astype(float).fillna(0.0)
    return forest


def subtree_sizes(forest: pd.DataFrame) -> pd.Series:
    """Agents in each member's subtree (itself included), summed level by level from the bottom."""
    size = pd.Series(1.0, index=forest["merchant_id"].to_numpy())
    for level in range(int(forest["level"].max()), 1, -1):
        at_level = forest[forest["level"] == level]
        totals = size[at_level["merchant_id"].to_numpy()].groupby(at_level["recruiter_id"].to_numpy()).sum()
        size = size.add(totals, fill_value=0.0)
    return size


def analyse_networks(links: pd.DataFrame, orders: pd.DataFrame, window_end: dt.date,
                     merchant_ids: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(members, chains): per member its role and flows, per chain the figures the legal test is made of.

    ``orders`` needs merchant_id (seller), buyer_id, amount; a buyer that is a chain member is an agent buying
    stock, any other buyer that is not a known merchant is a consumer."""
    forest = build_forest(links)
    forest = forest[forest.groupby("root_id")["merchant_id"].transform("size") > 1].copy()
    if forest.empty:
        return forest, pd.DataFrame()
    members = set(forest["merchant_id"])
    merchant_ids = merchant_ids or set()
    root_of = forest.set_index("merchant_id")["root_id"]
    forest["subtree_size"] = forest["merchant_id"].map(subtree_sizes(forest))
    recruits = forest.groupby("recruiter_id")
    forest["direct_recruits"] = forest["merchant_id"].map(recruits.size()).fillna(0).astype(int)
    forest["fees_from_recruits"] = forest["merchant_id"].map(recruits["entry_fee"].sum()).fillna(0.0)

    sold = orders[orders["merchant_id"].isin(members)]
    to_agent = sold["buyer_id"].isin(members)
    to_consumer = ~sold["buyer_id"].isin(members | merchant_ids)
    forest["stock_sales"] = forest["merchant_id"].map(sold[to_agent].groupby("merchant_id")["amount"].sum()).fillna(0.0)
    forest["retail_sales"] = forest["merchant_id"].map(sold[to_consumer].groupby("merchant_id")["amount"].sum()).fillna(0.0)
    bought = orders[orders["buyer_id"].isin(members) & orders["merchant_id"].isin(members)]
    forest["stock_bought"] = forest["merchant_id"].map(bought.groupby("buyer_id")["amount"].sum()).fillna(0.0)
    forest["role"] = np.where(forest["level"] == 1, "root", np.where(forest["direct_recruits"] > 0, "upline", "downline"))

    recent = pd.Timestamp(window_end) - pd.Timedelta(days=GROWTH_DAYS - 1)
    joined_recently = (pd.to_datetime(forest["joined_at"]) >= recent) if "joined_at" in forest.columns else False
    forest["joined_recently"] = joined_recently & (forest["level"] > 1)
    forest["paid_to_join"] = (forest["entry_fee"] > 0) & (forest["level"] > 1)
    by_root = forest.groupby("root_id")
    chains = pd.DataFrame({
        "participants": by_root.size(),
        "levels": by_root["level"].max(),
        "max_fan_out": by_root["direct_recruits"].max(),
        "joined_last_30_days": by_root["joined_recently"].sum(),
        "entry_fees": by_root["entry_fee"].sum(),
        "paying_members": by_root["paid_to_join"].sum(),
        "stock_sales": by_root["stock_sales"].sum(),
        "retail_sales": by_root["retail_sales"].sum(),
        "agents_retail_sales": forest[forest["level"] > 1].groupby("root_id")["retail_sales"].sum(),
        "stock_bought": by_root["stock_bought"].sum(),
    }).fillna(0.0)
    recruits_total = (chains["participants"] - 1).clip(lower=1)
    chains["paying_share"] = chains["paying_members"] / recruits_total
    chains["growth_30d"] = chains["joined_last_30_days"] / recruits_total
    recruitment_income = chains["entry_fees"] + chains["stock_sales"]
    chains["recruitment_income_share"] = (recruitment_income / (recruitment_income + chains["retail_sales"]).where(lambda x: x > 0)).fillna(0.0)
    chains["stuffing_share"] = (chains["stock_bought"] / (chains["stock_bought"] + chains["agents_retail_sales"]).where(lambda x: x > 0)).fillna(0.0)
    chains["meets_legal_test"] = (
        (chains["participants"] >= LEGAL_MIN_PARTICIPANTS) & (chains["levels"] >= LEGAL_MIN_LEVELS)
        & (chains["paying_share"] >= PAYING_SHARE_LINE) & (chains["recruitment_income_share"] >= RECRUITMENT_INCOME_LINE)
    )
    chains["risk"] = (
        0.15 * (chains["participants"] / LEGAL_MIN_PARTICIPANTS).clip(upper=1.0)
        + 0.15 * (chains["levels"] / LEGAL_MIN_LEVELS).clip(upper=1.0)
        + 0.25 * chains["paying_share"] + 0.25 * chains["recruitment_income_share"] + 0.20 * chains["stuffing_share"]
    ).round(6)
    chains["evidence"] = [json.dumps(chain_evidence(row), ensure_ascii=False) for row in chains.itertuples()]
    forest["root_id"] = forest["merchant_id"].map(root_of)
    return forest.reset_index(drop=True), chains


def chain_evidence(chain) -> list[dict]:
    """The chain's figures against the legal line, in words."""
    def mark(ok: bool) -> str:
        return "meets" if ok else "below"

    return [
        {"code": "participants", "text": f"{chain.participants:.0f} participants ({mark(chain.participants >= LEGAL_MIN_PARTICIPANTS)} the line of {LEGAL_MIN_PARTICIPANTS})"},
        {"code": "levels", "text": f"{chain.levels:.0f} levels ({mark(chain.levels >= LEGAL_MIN_LEVELS)} the line of {LEGAL_MIN_LEVELS})"},
        {"code": "pay_to_join", "text": f"{chain.paying_members:.0f} of {chain.participants - 1:.0f} recruits paid to join, "
                                        f"¥{chain.entry_fees:,.0f} in entry fees"},
        {"code": "recruitment_pay", "text": f"{chain.recruitment_income_share:.0%} of the chain's income is entry fees and stock sold "
                                            f"to its own agents (¥{chain.entry_fees + chain.stock_sales:,.0f}), "
                                            f"{1 - chain.recruitment_income_share:.0%} retail to consumers (¥{chain.retail_sales:,.0f})"},
        {"code": "stuffing", "text": f"agents bought ¥{chain.stock_bought:,.0f} of stock and sold ¥{chain.agents_retail_sales:,.0f} "
                                     f"to consumers"},
        {"code": "growth", "text": f"{chain.joined_last_30_days:.0f} recruits joined in the last {GROWTH_DAYS} days, "
                                   f"widest fan-out {chain.max_fan_out:.0f}"},
    ]


def emerging(chains: pd.DataFrame) -> pd.Series:
    """Chains that already take pay to join and score high, but are not (yet) over the size or depth line."""
    return ~chains["meets_legal_test"] & (chains["paying_share"] >= PAYING_SHARE_LINE) & (chains["risk"] >= EMERGING_RISK)


def member_labels(members: pd.DataFrame, chains: pd.DataFrame) -> np.ndarray:
    legal = members["root_id"].map(chains["meets_legal_test"]).to_numpy(dtype=bool)
    approaching = members["root_id"].map(emerging(chains)).to_numpy(dtype=bool)
    role = members["role"].to_numpy(dtype=str)
    return np.where(legal, np.char.add("pyramid_", role),
                    np.where(approaching, np.char.add("emerging_pyramid_", role), None))


def run(session: Session, business_date: dt.date, window_start: dt.date, window_end: dt.date):
    links = load_links(session, window_end)
    if links.empty:
        return empty_result()
    merchant_ids = set(session.execute(select(Merchant.merchant_id)).scalars())
    members_of_links = set(links["recruiter_id"]) | set(links["recruit_id"])
    orders = load_chain_orders(session, members_of_links, window_start, window_end)
    members, chains = analyse_networks(links, orders, window_end, merchant_ids)
    if members.empty:
        return empty_result()
    labels = member_labels(members, chains)
    evidence = members["root_id"].map(chains["evidence"])
    reasons = reasons_json([
        [("role", f"{role} at level {level} of the reseller chain under {root}: {recruits} direct recruits, "
                  f"¥{fees:,.0f} entry fees collected from them, bought ¥{bought:,.0f} of stock, sold ¥{retail:,.0f} retail")]
        + ([("pyramid_test", "the chain meets the pyramid-selling test: ≥30 participants, ≥3 levels, pay to join, "
                             "pay tied to recruitment")] if label and label.startswith("pyramid_") else [])
        + [(item["code"], item["text"]) for item in json.loads(chain_json)]
        for role, level, root, recruits, fees, bought, retail, label, chain_json in zip(
            members["role"], members["level"], members["root_id"], members["direct_recruits"], members["fees_from_recruits"],
            members["stock_bought"], members["retail_sales"], labels, evidence)
    ])
    scores = pd.DataFrame({
        "entity_id": members["merchant_id"].to_numpy(), "entity_type": ENTITY, "merchant_id": members["merchant_id"].to_numpy(),
        "score": members["root_id"].map(chains["risk"]).to_numpy(), "label": labels, "reasons": reasons,
    }).sort_values("entity_id", ignore_index=True)
    networks = chains.reset_index(names="root_id").assign(business_date=business_date, model_version=VERSION)
    networks = networks[["business_date", "root_id", "participants", "levels", "max_fan_out", "joined_last_30_days", "entry_fees",
                         "paying_share", "recruitment_income_share", "stuffing_share", "risk", "meets_legal_test", "evidence",
                         "model_version"]]
    return scores, {ResellerNetwork: networks}
