"""The YelpChi adapter reads the real files (../shared/datasets/yelpchi) and keeps the benchmark's protocol."""

import os
from pathlib import Path

import pytest

from trust.detect.reviews.signals import review_signals
from trust.detect.reviews.yelpchi import read_yelpchi

# The shared datasets live beside the checkout (../shared/datasets); TRUST_DATASETS_DIR points elsewhere.
YELPCHI = Path(os.environ.get("TRUST_DATASETS_DIR", Path(__file__).resolve().parents[4] / "shared" / "datasets")) / "yelpchi"
needs_data = pytest.mark.skipif(not (YELPCHI / "metadata.txt").exists(), reason=f"YelpChi not at {YELPCHI}")


@needs_data
def test_the_adapter_reads_every_real_review_and_maps_every_benchmark_node():
    reviews, nodes = read_yelpchi(YELPCHI)
    assert len(reviews) == 67_395 and len(nodes) == 45_954 and nodes["label_spam"].sum() == 6_677
    assert reviews["created_at"].min().year == 2004 and set(reviews["rating"].unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    signals, _ = review_signals(reviews.iloc[:5000], with_rings=False)
    assert {"reviewer_span_days", "product_rating_deviation", "product_burst_ratio"} <= set(signals.columns)
    assert "text_length" not in signals  # no text in YelpChi: text signals are skipped


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="metadata.txt"):
        read_yelpchi(tmp_path)


def test_the_ceiling_bounds_the_overall_auc_by_an_in_sample_fit_on_one_review_accounts():
    import numpy as np
    import pandas as pd

    from trust.detect.reviews.yelpchi import ceiling_analysis

    rng = np.random.default_rng(0)
    n = 2000
    single = rng.random(n) < 0.4
    y = (rng.random(n) < np.where(single, 0.3, 0.06)).astype(int)
    frame = pd.DataFrame({"rating": np.where(y == 1, rng.integers(1, 6, n), rng.integers(3, 6, n)).astype(float),
                          "noise": rng.normal(size=n)})
    ours = np.clip(0.5 * y + rng.normal(0, 0.4, n), 0, 1)  # a fair but imperfect model
    bound = ceiling_analysis(frame, y, ours, single)
    assert 0.5 < bound["single_review_accounts_in_sample_auc"] <= 1
    assert bound["overall_with_in_sample_single_review_scores"] < bound["overall_also_with_perfect_multi_review_scores"] <= 1
