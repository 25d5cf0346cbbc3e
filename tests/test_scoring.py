"""Scorecard and grade rules, as specifications."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from trust.metrics import METRICS, SMOOTHED, add_smoothed_rates, choose_windows
from trust.notices import build_notices
from trust.scoring import grade_merchants, population_stability, score_merchants, tier_with_hysteresis
from trust.settings import SHIPPED_DATA
from trust.thresholds import load_thresholds

THRESHOLDS = load_thresholds(SHIPPED_DATA / "thresholds.toml")
DAY = dt.date(2026, 11, 20)
NO_OVERRIDES = pd.DataFrame(columns=["id", "merchant_id", "tier", "reason", "actor", "effective_from", "expires_on", "revoked_at"])


def merchant(**values) -> dict:
    """An established shop with 500 orders and no problems, changed by ``values`` (smoothed rates follow raw ones)."""
    row = {metric: 0.0 for metric in METRICS}
    row.update(orders=500.0, tenure_days=400.0, window_days=90.0)
    row.update(values)
    for rate, count in SMOOTHED.items():
        if count in values and rate not in values:
            row[rate] = values[count] / row["orders"]
        row.setdefault(f"{rate}_smoothed", row[rate])
        if f"{rate}_smoothed" not in values:
            row[f"{rate}_smoothed"] = row[rate]
    return row


def grade(overrides=NO_OVERRIDES, previous=None, holds=None, day=DAY, **merchants) -> pd.DataFrame:
    metrics = pd.DataFrame.from_dict(merchants, orient="index")
    scores, points = score_merchants(metrics, THRESHOLDS)
    grades, _ = grade_merchants(metrics, scores, points, THRESHOLDS, overrides, day, previous, holds)
    return grades.set_index("merchant_id")


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


def test_a_confirmed_counterfeit_caps_the_tier_at_e_even_with_a_high_score():
    result = grade(shop=merchant(confirmed_counterfeit_cases=1.0))
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
    assert lost["complaint_rate_smoothed"] == -120 and lost["fake_review_share"] == -180


def test_one_complaint_in_3_orders_is_not_treated_like_1000_in_3000():
    metrics = pd.DataFrame.from_dict({
        "tiny": merchant(orders=3.0, complaints=1.0), "huge": merchant(orders=3000.0, complaints=1000.0),
        **{f"shop{i}": merchant(orders=400.0, complaints=4.0) for i in range(200)},  # a platform mean near 2%
    }, orient="index")
    smoothed = add_smoothed_rates(metrics, THRESHOLDS.prior_orders)["complaint_rate_smoothed"]
    assert metrics.loc["tiny", "complaint_rate"] == pytest.approx(metrics.loc["huge", "complaint_rate"])
    assert smoothed["tiny"] < 0.05 < 0.3 < smoothed["huge"]


def test_a_merchant_with_few_recent_orders_is_judged_on_the_long_window():
    short = pd.DataFrame({"orders": [150.0, 40.0]}, index=["busy", "small"])
    long = pd.DataFrame({"orders": [600.0, 160.0]}, index=["busy", "small"])
    assert choose_windows(short, long, THRESHOLDS.min_orders_for_short_window).to_dict() == {"busy": True, "small": False}


@pytest.mark.parametrize("score,previous,expected", [
    (860, "B", "B"),   # past A's cut-off (850) but not by the 20-point margin
    (871, "B", "A"),
    (705, "B", "B"),   # below B's cut-off (720) but within the margin
    (695, "B", "C"),
    (705, None, "C"),  # no previous tier: plain cut-offs
    (300, "A", "E"),   # a large fall is not held back
])
def test_hysteresis_keeps_grades_from_flapping_around_a_cut_off(score, previous, expected):
    assert tier_with_hysteresis(score, previous, THRESHOLDS) == expected


def test_current_and_projected_grade_and_effective_dates():
    previous = pd.DataFrame([{"merchant_id": "steady", "tier": "B", "effective_from": dt.date(2026, 9, 1)},
                             {"merchant_id": "falling", "tier": "A", "effective_from": dt.date(2026, 8, 1)}])
    result = grade(previous=previous, steady=merchant(complaint_rate=0.07), falling=merchant(complaint_rate=0.09))
    steady, falling = result.loc["steady"], result.loc["falling"]
    assert steady["score"] == 820 and steady["tier"] == "B" and steady["projected_tier"] == "B"
    assert steady["effective_from"] == dt.date(2026, 9, 1) and steady["previous_tier"] == "B"
    assert falling["score"] == 760 and falling["tier"] == "B" and falling["effective_from"] == DAY


def test_a_gate_that_holds_until_reviewed_keeps_capping_after_the_evidence_leaves_the_window():
    holds = pd.DataFrame([{"merchant_id": "shop", "gate": "confirmed_counterfeit_cases", "cap": "E",
                           "first_fired": dt.date(2026, 6, 1), "text": "counterfeit goods confirmed", "cleared_at": None}])
    held = grade(holds=holds, shop=merchant())
    assert held.loc["shop", "tier"] == "E" and "held since 2026-06-01 until an analyst reviews it" in held.loc["shop", "decided_by"]
    holds.loc[0, "cleared_at"] = pd.Timestamp("2026-11-21 10:00")  # cleared: no longer applies, even to reruns
    assert grade(holds=holds, shop=merchant()).loc["shop", "tier"] == "A"


def test_gates_that_hold_report_their_first_firing():
    metrics = pd.DataFrame.from_dict({"shop": merchant(pyramid_flagged=1.0)}, orient="index")
    scores, points = score_merchants(metrics, THRESHOLDS)
    _, fired = grade_merchants(metrics, scores, points, THRESHOLDS, NO_OVERRIDES, DAY)
    assert fired.to_dict("records") == [{"merchant_id": "shop", "gate": "pyramid_flagged", "cap": "E", "first_fired": DAY,
                                         "text": "part of a reseller chain that meets the pyramid-selling test"}]


def test_an_active_override_wins_and_says_so_while_expired_and_revoked_ones_do_not():
    overrides = pd.DataFrame([
        {"id": 1, "merchant_id": "a", "tier": "B", "reason": "carrier caused the late shipments", "actor": "li",
         "effective_from": dt.date(2026, 11, 1), "expires_on": dt.date(2026, 11, 30), "revoked_at": None},
        {"id": 2, "merchant_id": "b", "tier": "A", "reason": "old", "actor": "li",
         "effective_from": dt.date(2026, 10, 1), "expires_on": dt.date(2026, 11, 19), "revoked_at": None},
        {"id": 3, "merchant_id": "c", "tier": "A", "reason": "mistake", "actor": "li",
         "effective_from": dt.date(2026, 10, 1), "expires_on": dt.date(2026, 12, 31), "revoked_at": pd.Timestamp("2026-11-10")},
    ])
    bad = merchant(confirmed_counterfeit_cases=1.0)
    result = grade(overrides, a=bad, b=bad, c=bad)
    assert result.loc["a", "tier"] == "B" and "analyst override by li" in result.loc["a", "decided_by"]
    assert result.loc["b", "tier"] == "E" and result.loc["c", "tier"] == "E"


def test_a_grade_change_notice_says_what_changed_and_why_in_chinese_and_english():
    previous = pd.DataFrame([{"merchant_id": "shop", "tier": "A", "effective_from": dt.date(2026, 9, 1)}])
    grades = grade(previous=previous, shop=merchant(orders=200.0, order_defects=5.0)).reset_index()
    notice = build_notices(grades, THRESHOLDS, DAY).iloc[0]
    assert notice["text_zh"].startswith("您的店铺等级已由 A（优选）调整为 D（观察），自 2026-11-20 起生效。")
    assert "订单缺陷率超过2%且至少4笔订单受影响（等级上限 D）" in notice["text_zh"]
    assert notice["text_en"].startswith("Your shop's grade changed from A (Preferred) to D (Watch), effective 2026-11-20.")
    assert "order defect rate above 2% with at least 4 affected orders (tier capped at D)" in notice["text_en"]


def test_population_stability_is_zero_for_the_same_scores_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    before = rng.normal(800, 50, 2000)
    assert population_stability(before, before) == pytest.approx(0.0, abs=1e-9)
    assert population_stability(before, before - 150) > 0.25


def test_a_thresholds_file_with_an_unknown_metric_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text((SHIPPED_DATA / "thresholds.toml").read_text().replace("[scorecard.complaint_rate_smoothed]",
                                                                          "[scorecard.complaints_per_day]"))
    with pytest.raises(ValueError, match=r"scorecard.complaints_per_day\] names no known metric"):
        load_thresholds(bad)


def random_book(n: int, seed: int):
    """``n`` merchants with random metrics, yesterday's tiers, gate holds and overrides: every branch of the grader."""
    rng = np.random.default_rng(seed)
    rows = {}
    for i in range(n):
        orders = float(rng.choice([5, 20, 40, 200, 500, 3000]))
        values = {m: float(rng.poisson(rng.choice([0.2, 2, 8]))) for m in METRICS if m not in ("orders", "tenure_days", "window_days")}
        rows[f"M{i:04d}"] = merchant(orders=orders, tenure_days=float(rng.integers(1, 900)), **values)
    metrics = pd.DataFrame.from_dict(rows, orient="index")
    ids = list(rows)
    previous = pd.DataFrame({"merchant_id": ids[: n // 2], "tier": rng.choice(list("ABCDEN"), n // 2),
                             "effective_from": [DAY - dt.timedelta(days=int(d)) for d in rng.integers(1, 60, n // 2)]})
    picked = rng.choice(ids, n // 10, replace=False)
    holds = pd.DataFrame({"merchant_id": picked, "gate": rng.choice([g.metric for g in THRESHOLDS.gates], len(picked)),
                          "cap": rng.choice(list("CDE"), len(picked)), "text": "held for review",
                          "first_fired": [DAY - dt.timedelta(days=int(d)) for d in rng.integers(-3, 30, len(picked))],
                          "cleared_at": [None if rng.random() < 0.7 else dt.datetime(2026, 11, 1) for _ in picked]})
    chosen = rng.choice(ids, n // 20, replace=False)
    overrides = pd.DataFrame({"id": range(len(chosen)), "merchant_id": chosen, "tier": rng.choice(list("ABCDE"), len(chosen)),
                              "reason": "appeal upheld", "actor": "analyst:li", "effective_from": DAY - dt.timedelta(days=2),
                              "expires_on": [DAY + dt.timedelta(days=int(d)) for d in rng.integers(-3, 30, len(chosen))],
                              "revoked_at": [None if rng.random() < 0.8 else dt.datetime(2026, 11, 2) for _ in chosen]})
    return metrics, previous, holds, overrides


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_grader_equals_the_reference_row_for_row(seed):
    from tests.reference.scoring_v1 import grade_merchants as reference

    metrics, previous, holds, overrides = random_book(600, seed)
    scores, points = score_merchants(metrics, THRESHOLDS)
    fast = grade_merchants(metrics, scores, points, THRESHOLDS, overrides, DAY, previous, holds)
    slow = reference(metrics, scores, points, THRESHOLDS, overrides, DAY, previous, holds)
    pd.testing.assert_frame_equal(fast[0], slow[0])
    pd.testing.assert_frame_equal(fast[1], slow[1])
    assert set(fast[0]["tier"]) >= {"A", "C", "E", "N"} and len(fast[1])  # the book exercised caps, holds and N


@pytest.mark.parametrize("seed", [1, 2])
def test_grade_documents_are_byte_identical_to_the_dict_renderer(seed):
    """The documents are spliced from per-metric JSON templates; they must equal ``json.dumps`` of the views, byte for
    byte, including missing, infinite, negative and unscored values and a metric without a description."""
    from tests.reference.grade_documents_v1 import build_grade_documents as reference
    from trust.lookup import build_grade_documents

    metrics, previous, holds, overrides = random_book(300, seed)
    rng = np.random.default_rng(seed)
    odd = rng.random(metrics.shape) < 0.05
    metrics = metrics.mask(odd, pd.DataFrame(rng.choice([np.nan, np.inf, -np.inf, -3.5, 1e17, 0.1 + 0.2], metrics.shape),
                                             index=metrics.index, columns=metrics.columns))
    scores, points = score_merchants(metrics.fillna(0.0).replace([np.inf, -np.inf], 0.0), THRESHOLDS)
    grades, _ = grade_merchants(metrics.fillna(0.0).replace([np.inf, -np.inf], 0.0), scores, points, THRESHOLDS, overrides,
                                DAY, previous, holds)
    grades = grades.assign(business_date=DAY, window_start=DAY - dt.timedelta(days=89), window_end=DAY, grade_version="v")
    long = metrics.rename_axis("merchant_id").reset_index().melt(id_vars="merchant_id", var_name="metric", value_name="value")
    long = pd.concat([long, pd.DataFrame({"merchant_id": ["M0001"], "metric": ["not_a_described_metric"], "value": [2.0]})])
    fast, slow = build_grade_documents(grades, long, THRESHOLDS), reference(grades, long, THRESHOLDS)
    assert fast["body"].tolist() == slow["body"].tolist()
    assert any('"value": NaN' in body for body in fast["body"]) and any('"fired": true' in body for body in fast["body"])
