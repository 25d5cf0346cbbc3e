"""The test-buy planner: most of the budget on the likeliest problems, a share at random, recent checks skipped."""

import numpy as np
import pandas as pd
import pytest

from trust.planner import catch_rate, choose_test_buys


def candidates(n=100):
    return pd.DataFrame({"listing_id": [f"L{i:03d}" for i in range(n)], "merchant_id": "M", "probability": np.linspace(0.99, 0.0, n)})


def test_the_budget_goes_to_the_likeliest_problems_with_a_random_share():
    plan = choose_test_buys(candidates(), budget=10, exploration=0.2, seed=1)
    assert len(plan) == 10 and plan["rank"].tolist() == list(range(1, 11))
    model = plan[plan["chosen_by"] == "model"]
    assert model["listing_id"].tolist() == [f"L{i:03d}" for i in range(8)]
    explore = plan[plan["chosen_by"] == "exploration"]
    assert len(explore) == 2 and not explore["listing_id"].isin(model["listing_id"]).any()
    assert choose_test_buys(candidates(), 10, 0.2, seed=1).equals(plan)  # same day, same plan


def test_a_budget_larger_than_the_catalogue_buys_everything_once():
    plan = choose_test_buys(candidates(5), budget=10)
    assert sorted(plan["listing_id"]) == [f"L{i:03d}" for i in range(5)]


@pytest.mark.parametrize("budget,exploration", [(0, 0.2), (5, 1.5)])
def test_bad_budgets_are_refused(budget, exploration):
    with pytest.raises(ValueError):
        choose_test_buys(candidates(), budget, exploration)


def test_planned_test_buys_catch_more_than_random_ones():
    rng = np.random.default_rng(0)
    bad = rng.random(2000) < 0.05
    probability = np.clip(bad * 0.6 + rng.random(2000) * 0.5, 0, 1)
    result = catch_rate(probability, bad, budget=50)
    assert result["ratio"] >= 3
