"""Reseller chains: pyramids meet the legal test with evidence, legitimate distribution does not, bad links cannot hang."""

import datetime as dt
import json

import pandas as pd
import pytest

from trust.detect.agents.stage import analyse_networks, build_forest, member_labels, subtree_sizes

DAY = dt.date(2026, 10, 30)


def tree(root, widths, fee, prefix):
    rows, level, n = [], [root], 0
    for width in widths:
        nxt = []
        for parent in level:
            for _ in range(width):
                n += 1
                child = f"{prefix}{n}"
                rows.append((f"{prefix}L{n}", parent, child, fee, "2026-10-20"))
                nxt.append(child)
        level = nxt
    return pd.DataFrame(rows, columns=["link_id", "recruiter_id", "recruit_id", "entry_fee", "joined_at"])


def orders_for(links, stock_amount, retail_amount):
    """Each agent buys stock from its recruiter and sells retail to consumers."""
    stock = pd.DataFrame({"merchant_id": links["recruiter_id"], "buyer_id": links["recruit_id"], "amount": stock_amount})
    retail = pd.DataFrame({"merchant_id": links["recruit_id"], "buyer_id": "U" + links["recruit_id"], "amount": retail_amount})
    return pd.concat([stock, retail], ignore_index=True)


def test_a_deep_paying_chain_living_off_recruits_meets_the_pyramid_test():
    links = tree("P", [5, 7], 3980.0, "p")
    members, chains = analyse_networks(links, orders_for(links, 5000.0, 100.0), DAY, {"P"})
    chain = chains.loc["P"]
    assert (chain["participants"], chain["levels"], chain["paying_share"]) == (41, 3, 1.0)
    assert chain["recruitment_income_share"] > 0.9 and chain["stuffing_share"] > 0.9 and chain["meets_legal_test"]
    roles = members.set_index("merchant_id")["role"]
    assert roles["P"] == "root" and roles["p1"] == "upline" and roles["p40"] == "downline"
    assert set(member_labels(members, chains)) == {"pyramid_root", "pyramid_upline", "pyramid_downline"}
    evidence = [e["text"] for e in json.loads(chain["evidence"])]
    assert "41 participants (meets the line of 30)" in evidence and "3 levels (meets the line of 3)" in evidence
    assert "40 of 40 recruits paid to join, ¥159,200 in entry fees" in evidence


def test_legitimate_distribution_of_the_same_shape_is_not_flagged():
    links = tree("D", [5, 7], 0.0, "d")
    members, chains = analyse_networks(links, orders_for(links, 500.0, 3000.0), DAY, {"D"})
    assert not chains.loc["D", "meets_legal_test"] and chains.loc["D", "risk"] < 0.6
    assert set(member_labels(members, chains)) == {None}


def test_a_small_paying_chain_is_flagged_as_emerging_before_it_reaches_the_line():
    links = tree("E", [3, 4], 1980.0, "e")
    members, chains = analyse_networks(links, orders_for(links, 4000.0, 100.0), DAY, {"E"})
    assert chains.loc["E", "participants"] == 16 and not chains.loc["E", "meets_legal_test"]
    assert set(member_labels(members, chains)) == {"emerging_pyramid_root", "emerging_pyramid_upline", "emerging_pyramid_downline"}


def test_subtree_sizes_add_up_level_by_level():
    forest = build_forest(tree("R", [2, 3], 0.0, "r"))
    sizes = subtree_sizes(forest)
    assert sizes["R"] == 9 and sizes["r1"] == 4 and sizes["r3"] == 1


def test_cycles_self_links_and_second_recruiters_do_not_loop_or_double_count():
    rows = [("1", "A", "B", 0, "t"), ("2", "B", "C", 0, "t"), ("3", "C", "B", 0, "t"),  # B<->C cycle below a root
            ("4", "X", "Y", 0, "t"), ("5", "Y", "X", 0, "t"),                          # a pure cycle: no root
            ("6", "A", "A", 0, "t"), ("7", "Z", "C", 0, "t")]                          # self-link, second recruiter
    forest = build_forest(pd.DataFrame(rows, columns=["link_id", "recruiter_id", "recruit_id", "entry_fee", "joined_at"]))
    assert sorted(forest["merchant_id"]) == ["A", "B", "C"]  # Z lost C to the earlier link
    assert forest.set_index("merchant_id").loc["C", "level"] == 3


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_chain_orders_read_through_the_indexes_equal_the_window_scan(database, tmp_path, marketplace, last_day):
    """Issue 21: the members' orders read by seller and by buyer index, a chunk of members at a time, are the rows the
    old single scan of the window returned (with the window and cancelled orders applied the same way)."""
    from contextlib import nullcontext

    from tests.conftest import START, make_settings, scratch_postgres
    from tests.reference.agents_v1 import load_chain_orders as reference
    from trust import pipeline
    from trust.db.engine import dispose_engines, session_scope
    from trust.detect.agents import stage as agents

    with (scratch_postgres("trust_agents") if database == "postgresql" else nullcontext(None)) as url:
        settings = make_settings(tmp_path / "var", marketplace / "landing", url)
        day = START
        while day <= last_day:
            pipeline.run_ingest(settings, day)
            day += dt.timedelta(days=1)
        window_start = last_day - dt.timedelta(days=6)  # a window that cuts the history: the date filter matters
        with session_scope(settings.db_url) as session:
            links = agents.load_links(session, last_day)
            members = set(links["recruiter_id"]) | set(links["recruit_id"])
            fast = agents.load_chain_orders(session, members, window_start, last_day)
            slow = reference(session, members, window_start, last_day)
            few = set(sorted(members)[:5])
            assert len(agents.load_chain_orders(session, few, window_start, last_day)) == len(reference(session, few, window_start, last_day))
            assert agents.load_chain_orders(session, set(), window_start, last_day).empty
        dispose_engines()
    key = ["merchant_id", "buyer_id", "amount", "quantity"]
    assert len(fast) == len(slow) > 0
    pd.testing.assert_frame_equal(fast.sort_values(key).reset_index(drop=True), slow[key].sort_values(key).reset_index(drop=True),
                                  check_dtype=False)
