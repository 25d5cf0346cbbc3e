"""Graph checks on recruitment links at ingest: a link that would make the reseller forest ill-formed is
quarantined with the reason, so every later stage can rely on one recruiter per agent and no cycles.

Checked in file order against the warehouse and the file's earlier rows: self-links, repeated links, a
second recruiter for the same agent, and links that would close a cycle. Ancestor walks are vectorised
(one array lookup per level), never recursive, and bounded by the number of agents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import AgentLink


def check_agent_links(session: Session, links: pd.DataFrame) -> pd.DataFrame:
    """Problems among ``links`` (validated rows with ``_row``): a frame of _row, column, value, reason."""
    existing = read_frame(session, select(AgentLink.link_id, AgentLink.recruiter_id, AgentLink.recruit_id))
    existing = existing[~existing["link_id"].isin(links["link_id"])]  # a re-delivered link replaces itself
    problems: list[pd.DataFrame] = []

    def report(mask: pd.Series, column: str, reasons: pd.Series | str) -> None:
        if mask.any():
            problems.append(pd.DataFrame({"_row": links.loc[mask, "_row"].to_numpy(), "column": column,
                                          "value": links.loc[mask, column].to_numpy(),
                                          "reason": reasons[mask] if isinstance(reasons, pd.Series) else reasons}))

    self_link = links["recruiter_id"] == links["recruit_id"]
    report(self_link, "recruit_id", "an agent cannot recruit itself")
    candidates = links[~self_link]

    known_parent = existing.set_index("recruit_id")
    parent_of = known_parent["recruiter_id"]
    link_of = known_parent["link_id"]
    has_parent = candidates["recruit_id"].isin(parent_of.index)
    same_recruiter = has_parent & (candidates["recruit_id"].map(parent_of) == candidates["recruiter_id"])
    report(same_recruiter.reindex(links.index, fill_value=False), "recruit_id",
           "repeats link " + candidates["recruit_id"].map(link_of).fillna("") + " (same recruiter and recruit)")
    second = has_parent & ~same_recruiter
    report(second.reindex(links.index, fill_value=False), "recruit_id",
           "agent " + candidates["recruit_id"] + " was already recruited by " + candidates["recruit_id"].map(parent_of).fillna("")
           + " (link " + candidates["recruit_id"].map(link_of).fillna("") + ")")
    candidates = candidates[~has_parent]

    repeated = candidates["recruit_id"].duplicated(keep="first")
    first_row = candidates.groupby("recruit_id")["_row"].transform("min")
    report(repeated.reindex(links.index, fill_value=False), "recruit_id",
           "agent " + candidates["recruit_id"] + " is recruited again (first at row " + first_row.astype(str) + ")")
    candidates = candidates[~repeated]

    closing = _closes_cycle(parent_of, candidates)
    report(closing.reindex(links.index, fill_value=False), "recruit_id",
           "would close a recruitment cycle: " + candidates["recruit_id"] + " is already above " + candidates["recruiter_id"])
    if not problems:
        return pd.DataFrame(columns=["_row", "column", "value", "reason"])
    return pd.concat(problems, ignore_index=True)


def _closes_cycle(parent_of: pd.Series, candidates: pd.DataFrame) -> pd.Series:
    """True for links whose recruit is already an ancestor of their recruiter through the warehouse's links and
    the file's earlier rows (file order: the link that closes a loop is the one blamed)."""
    edges: dict[str, tuple[str, int]] = {child: (parent, 0) for child, parent in parent_of.items()}
    for child, parent, row in zip(candidates["recruit_id"], candidates["recruiter_id"], candidates["_row"]):
        edges.setdefault(child, (parent, int(row)))
    target = candidates["recruit_id"].to_numpy(dtype=object)
    current = candidates["recruiter_id"].to_numpy(dtype=object, copy=True)
    row = candidates["_row"].to_numpy()
    found = np.zeros(len(candidates), dtype=bool)
    active = np.ones(len(candidates), dtype=bool)
    for _ in range(len(edges) + 1):  # no walk through earlier links can be longer than the number of agents
        if not active.any():
            break
        found |= active & (current == target)
        active &= ~found
        walking = np.flatnonzero(active)
        steps = [edges.get(node) for node in current[walking]]
        current[walking] = [step[0] if step else None for step in steps]
        active[walking] = [step is not None and step[1] < r for step, r in zip(steps, row[walking])]
    return pd.Series(found, index=candidates.index)
