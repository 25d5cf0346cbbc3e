"""Detector evaluations on generated marketplaces, with measured floors."""

from trust.detect.agents.evaluation import evaluate_pyramids


def test_planted_pyramids_are_found_and_legitimate_distribution_is_not(tmp_path):
    result = evaluate_pyramids(tmp_path, merchants=1500, days=10, seed=23)
    assert result["chains"]["planted_pyramids"] >= 2 and result["chains"]["legitimate_distribution_chains"] >= 2
    chain = result["chain_flagged_vs_planted_pyramid"]
    assert chain["precision"] == 1.0 and chain["recall"] == 1.0  # measured 1.0 / 1.0 on this seed
    assert result["legitimate_chains_flagged"] == 0
    members = result["member_flagged_vs_planted_pyramid_member"]
    assert members["precision"] >= 0.95 and members["recall"] >= 0.95
    assert result["risk_legitimate_max"] < 0.6 <= result["risk_pyramids_min"]


def test_grades_over_consecutive_nights_separate_planted_misconduct_and_do_not_flap(tmp_path):
    from trust.evaluate import evaluate_grades

    result = evaluate_grades(tmp_path, merchants=150, days=14, seed=31, consecutive=4)
    # measured on this seed: bad 0.9+, honest 0.98+; floors leave room for generator changes
    assert result["bad_in_D_or_E"] >= 0.8 and result["honest_in_A_to_C"] >= 0.95
    assert result["spearman_score_vs_misconduct"] >= 0.6
    assert result["honest_small_shops_below_C"] == 0
    assert result["tier_flap_rate_per_night"] <= result["tier_flap_rate_without_hysteresis"]


def test_moderation_evaluation_reports_listing_complaint_and_planner_figures_on_unseen_wording(tmp_path):
    from pathlib import Path

    from trust.detect.listings.evaluation import evaluate_moderation

    models = Path(__file__).resolve().parents[1] / "models"
    result = evaluate_moderation(tmp_path, models, merchants=200, days=10, seed=41, vocabulary="heldout2", budget=20)
    assert result["listing_model"]["auc"] >= 0.95 and result["listing_model"]["auc"] > result["listing_rules"]["auc"]
    assert set(result["listing_model"]["top_5pct"]) == {"budget", "precision", "recall"}
    assert result["planner"]["ratio"] >= 3  # planned test buys against random ones at the same budget
    complaints = result["complaint_model"]
    assert complaints["each_sentence_once"]["sentences"] == 140  # 20 held-out sentences a category, each scored once
    # the shipped model, never trained on this wording: 0.80 each sentence once; far above keywords alone
    assert complaints["each_sentence_once"]["macro_f1"] >= 0.75 > result["complaint_keywords"]["each_sentence_once"]["macro_f1"]
    assert set(complaints["f1_per_category"]) <= {"counterfeit", "quality_defect", "not_as_described", "not_delivered",
                                                  "after_sales_refused", "reseller_recruitment", "other"}


def test_the_shipped_complaint_model_learns_the_development_wordings_but_never_the_third_held_out_one():
    from trust.detect.listings.evaluation import DEVELOPMENT_REPEATS, development_complaints
    from trust.synth.text import HELDOUT2_COMPLAINTS, HELDOUT3_COMPLAINTS, HELDOUT_COMPLAINTS

    frame = development_complaints()
    counts = frame.groupby(["text", "label"]).size()
    for pool in (HELDOUT_COMPLAINTS, HELDOUT2_COMPLAINTS):
        assert all(counts[(s, c)] == DEVELOPMENT_REPEATS for c, sentences in pool.items() for s in sentences)
    test = {s for sentences in HELDOUT3_COMPLAINTS.values() for s in sentences}
    assert not test & set(frame["text"]) and frame["complaint_id"].is_unique
