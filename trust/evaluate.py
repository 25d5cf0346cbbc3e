"""The grades on a generated marketplace (held-out seed) through the nightly pipeline, as one JSON line. Each detector's
own evaluation, and the training of its shipped model, lives in its folder (``trust/detect/<name>/evaluation.py``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from trust.synth.generator import SynthConfig, generate_marketplace


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


