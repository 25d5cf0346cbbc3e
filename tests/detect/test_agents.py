"""Reseller chains: pyramids meet the legal test, legitimate distribution does not, bad links cannot hang the walk."""

import pandas as pd

from trust.detect.agents import build_forest, chain_risk, chain_summary


def links(rows):
    return pd.DataFrame(rows, columns=["link_id", "recruiter_id", "recruit_id", "entry_fee", "joined_at"])


def tree(root, widths, fee, prefix):
    rows, level, n = [], [root], 0
    for width in widths:
        nxt = []
        for parent in level:
            for _ in range(width):
                n += 1
                child = f"{prefix}{n}"
                rows.append((f"{prefix}L{n}", parent, child, fee, "2026-10-01"))
                nxt.append(child)
        level = nxt
    return rows


def test_a_deep_paying_chain_meets_the_pyramid_test_and_a_fee_free_one_scores_lower():
    forest = build_forest(links(tree("P", [5, 7], 3980.0, "p") + tree("D", [5, 7], 0.0, "d")))
    summary = chain_summary(forest)
    assert summary.loc["P", "participants"] == 41 and summary.loc["P", "levels"] == 3
    risk = chain_risk(summary)
    assert risk["P"] == 1.0 and risk["D"] <= 0.5


def test_cycles_self_links_and_second_recruiters_do_not_loop_or_double_count():
    rows = [("1", "A", "B", 0, "t"), ("2", "B", "C", 0, "t"), ("3", "C", "B", 0, "t"),  # B<->C cycle below a root
            ("4", "X", "Y", 0, "t"), ("5", "Y", "X", 0, "t"),                          # a pure cycle: no root
            ("6", "A", "A", 0, "t"), ("7", "Z", "C", 0, "t")]                          # self-link, second recruiter
    forest = build_forest(links(rows))
    assert sorted(forest["merchant_id"]) == ["A", "B", "C"]  # Z lost C to the earlier link
    assert forest.set_index("merchant_id").loc["C", "level"] == 3
