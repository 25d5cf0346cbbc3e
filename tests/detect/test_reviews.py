"""Baseline fake-review rules: farms are flagged, an honest sale-day burst is not flagged wholesale."""

import json

import numpy as np
import pandas as pd

from trust.detect.reviews import FLAG_AT, ReviewRuleDetector, review_features
from trust.text import normalize_text


def reviews_frame(rows):
    return pd.DataFrame(rows, columns=["review_id", "merchant_id", "reviewer_id", "reviewer_registered_at", "rating", "text",
                                       "created_at", "order_id", "matched_order"])


def usual_days(merchant="M1", days=10, per_day=3):
    rows = []
    for d in range(days):
        for k in range(per_day):
            rows.append((f"{merchant}-{d}-{k}", merchant, f"U{d}{k}", "2024-01-01", 5, f"第{d}天第{k}条，挺好的，颜色和图片一样{d * 7 + k}",
                         f"2026-10-{d + 1:02d} 12:00:00", f"O{d}{k}", f"O{d}{k}"))
    return rows


def score(frame):
    features = review_features(frame)
    model = ReviewRuleDetector().fit(features)
    return model.predict_proba(features)[:, 1], model.reasons(features)


def test_a_farm_burst_of_copied_praise_from_fresh_accounts_is_flagged():
    farm = [(f"F{i}", "M1", f"X{i}", "2026-10-10", 5, "质量非常好，物流很快，五星好评！", "2026-10-11 20:00:00", None, None)
            for i in range(20)]
    frame = reviews_frame(usual_days() + farm)
    proba, reasons = score(frame)
    fake = frame["review_id"].str.startswith("F").to_numpy()
    assert (proba[fake] >= FLAG_AT).all()
    assert (proba[~fake] < FLAG_AT).all()
    words = [r["text"] for r in json.loads(reasons[int(np.flatnonzero(fake)[0])])]
    assert "same text as 19 other accounts that day" in words
    assert "account 2 days old at review" in words and "no matching order" in words


def test_an_honest_sale_day_burst_from_real_buyers_is_not_flagged_wholesale():
    sale = [(f"S{i}", "M1", f"B{i}", "2023-05-01", int(4 + i % 2), f"双十一囤的，第{i}次回购，尺码标准，面料舒服{i}",
             "2026-10-11 20:00:00", f"OS{i}", f"OS{i}") for i in range(25)]
    frame = reviews_frame(usual_days() + sale)
    proba, _ = score(frame)
    burst = frame["review_id"].str.startswith("S").to_numpy()
    assert (proba[burst] >= FLAG_AT).mean() == 0.0


def test_traditional_copy_of_a_simplified_review_counts_as_the_same_text():
    simplified, traditional = "宝贝收到了，和描述的一模一样，非常满意", "寶貝收到了，和描述的一模一樣，非常滿意"
    rows = [("A", "M1", "U1", None, 5, normalize_text(simplified), "2026-10-01 10:00:00", None, None),
            ("B", "M2", "U2", None, 5, normalize_text(traditional), "2026-10-01 11:00:00", None, None)]
    assert review_features(reviews_frame(rows))["same_text_accounts"].tolist() == [2, 2]


def test_accounts_that_review_the_same_shops_in_the_same_bursts_form_a_ring_and_sale_day_buyers_do_not():
    from trust.detect.rings import find_review_rings

    rows = []
    for shop in ("M1", "M2", "M3"):
        rows += [(f"{shop}-{d}-{k}", shop, f"B{shop}{d}{k}", "2024-01-01", 5, "x", f"2026-10-{d + 1:02d} 12:00:00", None, None)
                 for d in range(10) for k in range(2)]
    ring = [f"F{i}" for i in range(8)]
    for burst, (shop, day) in enumerate([("M1", 3), ("M2", 5), ("M3", 7)]):
        rows += [(f"F{burst}-{a}", shop, a, "2026-09-01", 5, "好评", f"2026-10-{day + 1:02d} 20:00:00", None, None) for a in ring]
    rows += [(f"S{i}", "M1", f"SALE{i}", "2023-01-01", 5, "x", "2026-10-10 10:00:00", None, None) for i in range(12)]
    frame = reviews_frame(rows)
    rings, membership = find_review_rings(frame)
    assert len(rings) == 1 and rings.iloc[0]["accounts"] == 8 and rings.iloc[0]["reviews"] == 24
    assert membership[frame["review_id"].str.startswith("F")].eq("RING-0001").all()
    assert membership[~frame["review_id"].str.startswith("F")].isna().all()  # the sale-day buyers meet only once
    assert "8 accounts reviewed together in 3 bursts on 3 days" in rings.iloc[0]["evidence"]
