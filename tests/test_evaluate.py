"""Detector evaluations on generated marketplaces, with measured floors."""

from trust.evaluate import evaluate_pyramids


def test_planted_pyramids_are_found_and_legitimate_distribution_is_not(tmp_path):
    result = evaluate_pyramids(tmp_path, merchants=1500, days=10, seed=23)
    assert result["chains"]["planted_pyramids"] >= 2 and result["chains"]["legitimate_distribution_chains"] >= 2
    chain = result["chain_flagged_vs_planted_pyramid"]
    assert chain["precision"] == 1.0 and chain["recall"] == 1.0  # measured 1.0 / 1.0 on this seed
    assert result["legitimate_chains_flagged"] == 0
    members = result["member_flagged_vs_planted_pyramid_member"]
    assert members["precision"] >= 0.95 and members["recall"] >= 0.95
    assert result["risk_legitimate_max"] < 0.6 <= result["risk_pyramids_min"]
