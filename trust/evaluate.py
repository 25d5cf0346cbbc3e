"""Evaluations of the detectors on generated marketplaces (held-out seeds), printed as one JSON line each."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from trust.synth.generator import SynthConfig, generate_marketplace


def _read_landing(root: Path, entity: str, columns: list[str] | None = None) -> pd.DataFrame:
    files = sorted((root / "landing" / entity).rglob("*.csv"))
    return pd.concat([pd.read_csv(f, usecols=columns, dtype=str) for f in files], ignore_index=True)


def _precision_recall(predicted: pd.Series, actual: pd.Series) -> dict:
    tp = int((predicted & actual).sum())
    fp = int((predicted & ~actual).sum())
    fn = int((~predicted & actual).sum())
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else None, "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "true_positives": tp, "false_positives": fp, "false_negatives": fn}


def evaluate_pyramids(workdir: Path, merchants: int = 3000, days: int = 30, seed: int = 101) -> dict:
    """Generate a marketplace with a held-out seed and score its reseller chains against the planted truth."""
    from trust.detect.agents import LEGAL_MIN_PARTICIPANTS, analyse_networks, emerging

    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir))
    links = _read_landing(workdir, "agent_links")
    links["entry_fee"] = links["entry_fee"].astype(float)
    orders = _read_landing(workdir, "orders", ["merchant_id", "buyer_id", "amount", "status"])
    orders = orders[orders["status"] != "cancelled"].assign(amount=lambda o: o["amount"].astype(float))
    merchant_ids = set(_read_landing(workdir, "merchants", ["merchant_id"])["merchant_id"])
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
        "chain_flagged_vs_planted_pyramid": _precision_recall(flagged, pyramid),
        "legal_test_vs_planted_pyramid_of_legal_size": _precision_recall(chains["meets_legal_test"], legal_size),
        "legitimate_chains_flagged": int((flagged & ~pyramid).sum()),
        "member_flagged_vs_planted_pyramid_member": _precision_recall(member_flag.fillna(False).astype(bool), member_pyramid),
        "risk_pyramids_min": round(float(chains.loc[pyramid, "risk"].min()), 3) if pyramid.any() else None,
        "risk_legitimate_max": round(float(chains.loc[~pyramid, "risk"].max()), 3) if (~pyramid).any() else None,
    }


def print_json(result: dict) -> None:
    print(json.dumps(result, ensure_ascii=False))


SEVERITY = {"honest": 0, "honest_new_small": 0, "honest_sale_burst": 0, "distributor": 0, "review_farm": 1,
            "complaint_heavy": 2, "false_ads": 2, "counterfeit": 3, "pyramid": 3}
BAD = {"review_farm", "complaint_heavy", "false_ads", "counterfeit", "pyramid"}


def evaluate_grades(workdir: Path, merchants: int = 600, days: int = 60, seed: int = 202, consecutive: int = 30) -> dict:
    """Run the nightly pipeline for ``consecutive`` days on a generated marketplace and measure the grades:
    planted bad merchants in D/E, honest ones in A–C, rank correlation of the score with planted misconduct,
    honest small shops pushed below C, and how often tiers flap from one night to the next."""
    from scipy.stats import spearmanr
    from sqlalchemy import select

    from trust import pipeline
    from trust.scoring import tier_counts
    from trust.db.engine import dispose_engines, read_frame, session_scope
    from trust.db.tables import Grade, MerchantMetric
    from trust.settings import Settings

    if consecutive >= days:
        raise ValueError(f"consecutive={consecutive} must be smaller than days={days} (the rest is history)")
    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir / "market"))
    settings = Settings.from_env({"TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(workdir / "market" / "landing")})
    start = SynthConfig().start_date
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    for day in dates[: days - consecutive]:
        pipeline.run_ingest(settings, day)
    for day in dates[days - consecutive:]:
        pipeline.run_all(settings, day)
    with session_scope(settings.db_url) as session:
        grades = read_frame(session, select(Grade.business_date, Grade.merchant_id, Grade.tier, Grade.projected_tier, Grade.score))
        orders = read_frame(session, select(MerchantMetric.merchant_id, MerchantMetric.value)
                            .where(MerchantMetric.business_date == dates[-1], MerchantMetric.metric == "orders"))
    dispose_engines()
    truth = pd.read_csv(workdir / "market" / "truth" / "merchants.csv").set_index("merchant_id")["profile"]
    last = grades[grades["business_date"] == dates[-1]].set_index("merchant_id")
    last["profile"] = truth
    last["orders"] = orders.set_index("merchant_id")["value"]
    graded = last[last["tier"] != "N"]
    bad, honest = graded[graded["profile"].isin(BAD)], graded[~graded["profile"].isin(BAD)]
    small_honest = last[~last["profile"].isin(BAD) & (last["orders"] < 100) & (last["tier"] != "N")]
    rho = spearmanr(last["score"], -last["profile"].map(SEVERITY)).statistic

    ordered = grades.sort_values(["merchant_id", "business_date"])
    def flap_rate(column: str) -> float:
        changed = ordered.groupby("merchant_id")[column].transform(lambda s: s.ne(s.shift()) & s.shift().notna())
        return float(changed.sum() / max(1, len(ordered) - ordered["merchant_id"].nunique()))

    return {
        "evaluation": "grades", "seed": seed, "merchants": merchants, "days": days, "consecutive_nights": consecutive,
        "bad_in_D_or_E": round(float(bad["tier"].isin(["D", "E"]).mean()), 4), "bad_graded": len(bad),
        "honest_in_A_to_C": round(float(honest["tier"].isin(["A", "B", "C"]).mean()), 4), "honest_graded": len(honest),
        "bad_by_profile": {p: tier_counts(g["tier"]) for p, g in bad.groupby("profile")},
        "spearman_score_vs_misconduct": round(float(rho), 4),
        "honest_small_shops_graded": len(small_honest),
        "honest_small_shops_below_C": int(small_honest["tier"].isin(["D", "E"]).sum()),
        "tier_flap_rate_per_night": round(flap_rate("tier"), 5),
        "tier_flap_rate_without_hysteresis": round(flap_rate("projected_tier"), 5),
    }
