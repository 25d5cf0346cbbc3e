"""The test-buy planner (品质抽检): which listings to buy today with a budget of K test buys.

Most of the budget goes to the listings with the highest probability that a test buy confirms a problem (the listing
model's score); a share is spent uniformly at random over the rest, so that results keep coming back from listings the
model thinks are fine (the labels that retrain it stay unbiased, and its blind spots show). Listings test-bought in
the last ``cooldown_days`` are skipped. Results come back through the ``spot_checks`` entity, where they become the
seller's history and training labels.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from sqlalchemy import select

from trust.db.engine import read_frame, replace_partition, session_scope
from trust.db.tables import DetectorScore, SpotCheck, SpotCheckPlan
from trust.settings import Settings


def choose_test_buys(candidates: pd.DataFrame, budget: int, exploration: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """``candidates``: listing_id, merchant_id, probability. Returns the chosen rows with rank and chosen_by."""
    if budget < 1:
        raise ValueError(f"the budget must be at least 1 test buy, not {budget}")
    if not 0 <= exploration <= 1:
        raise ValueError(f"exploration must be a share between 0 and 1, not {exploration}")
    ordered = candidates.sort_values(["probability", "listing_id"], ascending=[False, True]).reset_index(drop=True)
    explore = int(round(budget * exploration)) if len(ordered) > budget else 0
    exploit = min(budget - explore, len(ordered))
    chosen = ordered.iloc[:exploit].assign(chosen_by="model")
    rest = ordered.iloc[exploit:]
    if explore and len(rest):
        picked = np.random.default_rng(seed).choice(len(rest), size=min(explore, len(rest)), replace=False)
        chosen = pd.concat([chosen, rest.iloc[np.sort(picked)].assign(chosen_by="exploration")], ignore_index=True)
    return chosen.assign(rank=np.arange(1, len(chosen) + 1))


def plan_spot_checks(settings: Settings, business_date: dt.date, budget: int, exploration: float = 0.2,
                     cooldown_days: int = 30) -> dict:
    """Plan the day's test buys from the listing scores of ``business_date``; writes spot_check_plans and a CSV."""
    with session_scope(settings.db_url) as session:
        scores = read_frame(session, select(DetectorScore.entity_id.label("listing_id"), DetectorScore.merchant_id,
                                            DetectorScore.score.label("probability"), DetectorScore.reasons)
                            .where(DetectorScore.business_date == business_date, DetectorScore.detector == "listings"))
        if scores.empty:
            raise ValueError(f"no listing scores for {business_date}: run the listings detector for that date first")
        since = dt.datetime.combine(business_date - dt.timedelta(days=cooldown_days), dt.time())
        recent = set(read_frame(session, select(SpotCheck.listing_id).where(SpotCheck.checked_at >= since))["listing_id"])
        candidates = scores[~scores["listing_id"].isin(recent)]
        plan = choose_test_buys(candidates, budget, exploration, seed=int(business_date.strftime("%Y%m%d")))
        now = dt.datetime.now(settings.tz).replace(tzinfo=None)
        plan = plan.assign(business_date=business_date, planned_at=now,
                           reasons=[r if by == "model" else json.dumps([{"code": "exploration", "text": "chosen at random to keep labels unbiased"}])
                                    for r, by in zip(plan["reasons"], plan["chosen_by"])])
        replace_partition(session, SpotCheckPlan, business_date, plan[[c.name for c in SpotCheckPlan.__table__.columns]])
    out = settings.reports_dir / "spot_checks" / f"plan_{business_date}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    plan[["rank", "listing_id", "merchant_id", "chosen_by", "probability", "reasons"]].to_csv(out, index=False)
    expected = float(plan["probability"].sum())
    return {"business_date": business_date.isoformat(), "planned": len(plan), "by_model": int((plan["chosen_by"] == "model").sum()),
            "exploration": int((plan["chosen_by"] == "exploration").sum()), "expected_confirmed": round(expected, 2),
            "skipped_recently_checked": int(scores["listing_id"].isin(recent).sum()), "csv": str(out)}


def catch_rate(probability: np.ndarray, truly_bad: np.ndarray, budget: int, exploration: float = 0.2, draws: int = 200,
               seed: int = 0) -> dict:
    """Planned vs random test buys at the same budget, against the truth: confirmed catches of each."""
    frame = pd.DataFrame({"listing_id": np.arange(len(probability)).astype(str), "merchant_id": "", "probability": probability})
    plan = choose_test_buys(frame, budget, exploration, seed)
    planned = int(truly_bad[plan["listing_id"].astype(int).to_numpy()].sum())
    rng = np.random.default_rng(seed)
    random_catches = [int(truly_bad[rng.choice(len(probability), size=budget, replace=False)].sum()) for _ in range(draws)]
    mean_random = float(np.mean(random_catches))
    return {"budget": budget, "exploration_share": exploration, "planned_catches": planned, "random_catches_mean": round(mean_random, 2),
            "ratio": round(planned / mean_random, 2) if mean_random else None}
