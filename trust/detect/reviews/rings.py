"""Review rings (刷单 groups): accounts that review the same shops in the same bursts, again and again.

Lockstep detection in the spirit of CopyCatch: only bursting shop-days (a shop's reviews that day at least
``burst_ratio`` times its usual day) are events; two accounts are linked when they took part in at least
``min_shared_events`` events together; rings are the connected components with at least ``min_accounts`` accounts.
Never all pairs of reviews: pairs are formed only inside burst events, which are few and bounded in size.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def find_review_rings(reviews: pd.DataFrame, burst_ratio: float = 3.0, min_event_reviews: int = 5, max_event_accounts: int = 400,
                      min_shared_events: int = 2, min_accounts: int = 5) -> tuple[pd.DataFrame, pd.Series]:
    """(rings, ring of each review or None). ``reviews`` needs review_id, reviewer_id, merchant_id, created_at, rating."""
    day = pd.to_datetime(reviews["created_at"]).dt.normalize()
    per_day = reviews.groupby([reviews["merchant_id"], day])["reviewer_id"].nunique()
    usual = per_day.groupby(level=0).median().clip(lower=1.0)
    ratio = per_day / usual.reindex(per_day.index.get_level_values(0)).to_numpy()
    bursts = per_day[(per_day >= min_event_reviews) & (ratio >= burst_ratio) & (per_day <= max_event_accounts)]
    no_ring = pd.Series(None, index=reviews.index, dtype=object)
    empty = pd.DataFrame(columns=["ring_id", "accounts", "merchants", "first_day", "last_day", "reviews", "evidence"])
    if bursts.empty:
        return empty, no_ring
    events = pd.DataFrame({"merchant_id": reviews["merchant_id"], "day": day, "reviewer_id": reviews["reviewer_id"]})
    events = events.merge(bursts.rename("n").reset_index().rename(columns={"created_at": "day"}), on=["merchant_id", "day"])
    events = events.drop_duplicates(["merchant_id", "day", "reviewer_id"])
    events["event"] = events.groupby(["merchant_id", "day"]).ngroup()
    accounts, account_index = np.unique(events["reviewer_id"].to_numpy(dtype=str), return_inverse=True)
    events["account"] = account_index
    pairs = events[["event", "account"]].merge(events[["event", "account"]], on="event")
    pairs = pairs[pairs["account_x"] < pairs["account_y"]]
    shared = pairs.groupby(["account_x", "account_y"]).size()
    linked = shared[shared >= min_shared_events]
    if linked.empty:
        return empty, no_ring
    a, b = linked.index.get_level_values(0).to_numpy(), linked.index.get_level_values(1).to_numpy()
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(accounts), len(accounts)))
    _, component = connected_components(graph, directed=False)
    involved = np.zeros(len(accounts), dtype=bool)
    involved[a] = involved[b] = True
    sizes = pd.Series(component[involved]).value_counts()
    big = sizes[sizes >= min_accounts].index
    ring_of_account = pd.Series(component, index=accounts).where(lambda c: c.isin(big) & involved)
    events["component"] = events["reviewer_id"].map(ring_of_account)
    in_ring = events.dropna(subset=["component"])
    rings = []
    names: dict[float, str] = {}
    for k, (component_id, part) in enumerate(sorted(in_ring.groupby("component"), key=lambda item: (-item[1]["reviewer_id"].nunique(),
                                                                                                     item[1]["reviewer_id"].min()))):
        ring_id = f"RING-{k + 1:04d}"
        names[component_id] = ring_id
        merchants = sorted(part["merchant_id"].unique())
        days = sorted(part["day"].dt.date.unique())
        n_accounts = part["reviewer_id"].nunique()
        evidence = [{"code": "lockstep", "text": f"{n_accounts} accounts reviewed together in {part['event'].nunique()} bursts on "
                                                 f"{len(days)} days ({days[0]} .. {days[-1]})"},
                    {"code": "shops", "text": f"shops reviewed by the ring: {', '.join(merchants[:8])}"
                                              + (f" and {len(merchants) - 8} more" if len(merchants) > 8 else "")}]
        rings.append({"ring_id": ring_id, "accounts": n_accounts, "merchants": json.dumps(merchants), "first_day": days[0],
                      "last_day": days[-1], "reviews": len(part), "evidence": json.dumps(evidence, ensure_ascii=False)})
    ring_key = events.dropna(subset=["component"]).assign(ring=lambda e: e["component"].map(names))
    lookup = ring_key.set_index(["merchant_id", "day", "reviewer_id"])["ring"]
    keys = pd.MultiIndex.from_arrays([reviews["merchant_id"], day, reviews["reviewer_id"]])
    membership = pd.Series(lookup.reindex(keys).to_numpy(), index=reviews.index, dtype=object)
    return pd.DataFrame(rings), membership
