"""The YelpChi adapter reads the real files (../shared/datasets/yelpchi) and keeps the benchmark's protocol."""

import os
from pathlib import Path

import pytest

from trust.detect.review_signals import review_signals
from trust.detect.yelpchi import read_yelpchi

# The shared datasets live beside the checkout (../shared/datasets); TRUST_DATASETS_DIR points elsewhere.
YELPCHI = Path(os.environ.get("TRUST_DATASETS_DIR", Path(__file__).resolve().parents[3] / "shared" / "datasets")) / "yelpchi"
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
