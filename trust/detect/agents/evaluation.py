"""The reseller-network detector on a generated marketplace (held-out seed): chains found against the planted pyramids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from trust.synth.generator import SynthConfig, generate_marketplace
from trust.synth.truth import read_landing, precision_recall


def evaluate_pyramids(workdir: Path, merchants: int = 3000, days: int = 30, seed: int = 101) -> dict:
    """Generate a marketplace with a held-out seed and score its reseller chains against the planted truth."""
    from trust.detect.agents.stage import LEGAL_MIN_PARTICIPANTS, analyse_networks, emerging

    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir))
    links = read_landing(workdir, "agent_links")
    links["entry_fee"] = links["entry_fee"].astype(float)
    orders = read_landing(workdir, "orders", ["merchant_id", "buyer_id", "amount", "status"])
    orders = orders[orders["status"] != "cancelled"].assign(amount=lambda o: o["amount"].astype(float))
    merchant_ids = set(read_landing(workdir, "merchants", ["merchant_id"])["merchant_id"])
    last_day = SynthConfig().start_date + dt.timedelta(days=days - 1)
    members, chains = analyse_networks(links, orders, last_day, merchant_ids)

    truth = pd.read_csv(workdir / "truth" / "networks.csv")
    roots = truth[truth["level"] == 1].drop_duplicates("network_id").set_index("recruiter_id")
    sizes = truth.groupby("network_id").size() + 1
    chains = chains.join(roots[["network_id", "network_kind"]])
    chains["planted_size"] = chains["network_id"].map(sizes)
    pyramid = chains["network_kind"] == "pyramid"
    flagged = chains["meets_legal_test"] | emerging(chains)
    legal_size = pyramid & (chains["planted_size"] >= LEGAL_MIN_PARTICIPANTS)

    merchant_truth = pd.read_csv(workdir / "truth" / "merchants.csv").set_index("merchant_id")["profile"]
    member_flag = members["root_id"].map(flagged)
    member_pyramid = members["merchant_id"].map(merchant_truth) == "pyramid"
    return {
        "evaluation": "pyramids", "seed": seed, "merchants": merchants, "days": days,
        "chains": {"planted_pyramids": int(pyramid.sum()), "legitimate_distribution_chains": int((~pyramid).sum()),
                   "legitimate_chains_with_30_or_more": int((~pyramid & (chains["participants"] >= 30)).sum())},
        "chain_flagged_vs_planted_pyramid": precision_recall(flagged, pyramid),
        "legal_test_vs_planted_pyramid_of_legal_size": precision_recall(chains["meets_legal_test"], legal_size),
        "legitimate_chains_flagged": int((flagged & ~pyramid).sum()),
        "member_flagged_vs_planted_pyramid_member": precision_recall(member_flag.fillna(False).astype(bool), member_pyramid),
        "risk_pyramids_min": round(float(chains.loc[pyramid, "risk"].min()), 3) if pyramid.any() else None,
        "risk_legitimate_max": round(float(chains.loc[~pyramid, "risk"].max()), 3) if (~pyramid).any() else None,
    }
