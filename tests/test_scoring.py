"""Scorecard and grade rules, as specifications."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from trust.metrics import METRIC_DESCRIPTIONS
from trust.scoring import grade_merchants, population_stability, score_merchants
from trust.settings import SHIPPED_DATA
from trust.thresholds import load_thresholds

THRESHOLDS = load_thresholds(SHIPPED_DATA / "thresholds.toml")
DAY = dt.date(2026, 11, 20)
NO_OVERRIDES = pd.DataFrame(columns=["id", "merchant_id", "tier", "reason", "actor", "effective_from", "expires_on"])


def merchant(**values) -> dict:
    row = {metric: 0.0 for metric in METRIC_DESCRIPTIONS}
    row.update(orders=500.0, tenure_days=400.0)
    row.update(values)
    if "order_defects" in values and "order_defect_rate" not in values:
        row["order_defect_rate"] = values["order_defects"] / row["orders"]
    return row


def grade(overrides=NO_OVERRIDES, **merchants) -> pd.DataFrame:
    metrics = pd.DataFrame.from_dict(merchants, orient="index")
    scores, points = score_merchants(metrics, THRESHOLDS)
    return grade_merchants(metrics, scores, points, THRESHOLDS, overrides, DAY).set_index("merchant_id")


def test_a_clean_established_shop_is_tier_a_with_a_full_score():
    result = grade(clean=merchant())
    assert result.loc["clean", "tier"] == "A" and result.loc["clean", "score"] == 1000


def test_five_defects_in_200_orders_at_2_5_percent_is_capped_at_d():
    result = grade(shop=merchant(orders=200.0, order_defects=5.0))
    assert result.loc["shop", "tier"] == "D"
    assert "order defect rate above 2%" in result.loc["shop", "decided_by"]


def test_two_defects_in_40_orders_is_not_d_by_the_gate_because_of_the_count_condition():
    result = grade(shop=merchant(orders=40.0, order_defects=2.0))
    decided = json.loads(result.loc["shop", "decided_by"])
    assert not any(d["text"].startswith("hard gate") for d in decided)
    assert result.loc["shop", "tier"] == "B"  # 5% defects cost 270 points, but no cap


def test_a_counterfeit_test_buy_caps_the_tier_at_e_even_with_a_high_score():
    result = grade(shop=merchant(failed_counterfeit_spot_checks=1.0))
    assert result.loc["shop", "score"] == 1000 and result.loc["shop", "tier"] == "E"


def test_too_few_orders_is_tier_n_unless_a_hard_gate_fires():
    result = grade(new=merchant(orders=5.0), new_bad=merchant(orders=5.0, pyramid_flagged=1.0))
    assert result.loc["new", "tier"] == "N" and "not enough data" in result.loc["new", "decided_by"]
    assert result.loc["new_bad", "tier"] == "E"


def test_points_explain_the_score():
    metrics = pd.DataFrame.from_dict({"shop": merchant(complaint_rate=0.05, fake_review_share=0.25)}, orient="index")
    scores, points = score_merchants(metrics, THRESHOLDS)
    assert scores["shop"] == pytest.approx(1000 + points["points"].sum())
    lost = points.set_index("metric")["points"]
    assert lost["complaint_rate"] == -120 and lost["fake_review_share"] == -180


def test_an_active_override_wins_and_says_so_and_an_expired_one_does_not():
    overrides = pd.DataFrame([
        {"id": 1, "merchant_id": "a", "tier": "B", "reason": "carrier caused the late shipments", "actor": "li",
         "effective_from": dt.date(2026, 11, 1), "expires_on": dt.date(2026, 11, 30)},
        {"id": 2, "merchant_id": "b", "tier": "A", "reason": "old", "actor": "li",
         "effective_from": dt.date(2026, 10, 1), "expires_on": dt.date(2026, 11, 19)},
    ])
    result = grade(overrides, a=merchant(failed_counterfeit_spot_checks=1.0), b=merchant(failed_counterfeit_spot_checks=1.0))
    assert result.loc["a", "tier"] == "B" and "analyst override by li" in result.loc["a", "decided_by"]
    assert result.loc["b", "tier"] == "E"


def test_population_stability_is_zero_for_the_same_scores_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    before = rng.normal(800, 50, 2000)
    assert population_stability(before, before) == pytest.approx(0.0, abs=1e-9)
    assert population_stability(before, before - 150) > 0.25


def test_a_thresholds_file_with_an_unknown_metric_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text((SHIPPED_DATA / "thresholds.toml").read_text().replace("[scorecard.complaint_rate]", "[scorecard.complaints_per_day]"))
    with pytest.raises(ValueError, match=r"scorecard.complaints_per_day\] names no known metric"):
        load_thresholds(bad)
