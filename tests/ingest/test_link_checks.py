"""Recruitment links that would corrupt the reseller forest are quarantined at ingest with the reason."""

from __future__ import annotations

import pandas as pd
import pytest

from trust.db.engine import dispose_engines, session_scope, upsert
from trust.db.migrate import upgrade_database
from trust.db.tables import AgentLink
from trust.ingest.link_checks import check_agent_links


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade_database(url)
    with session_scope(url) as session:
        upsert(session, AgentLink, [
            {"link_id": "K1", "recruiter_id": "A", "recruit_id": "B", "entry_fee": 0.0, "joined_at": pd.Timestamp("2026-01-01").to_pydatetime(),
             "business_date": pd.Timestamp("2026-01-01").date()},
            {"link_id": "K2", "recruiter_id": "B", "recruit_id": "C", "entry_fee": 0.0, "joined_at": pd.Timestamp("2026-01-01").to_pydatetime(),
             "business_date": pd.Timestamp("2026-01-01").date()},
        ])
    yield url
    dispose_engines()


def check(db_url, rows) -> dict[int, str]:
    links = pd.DataFrame(rows, columns=["link_id", "recruiter_id", "recruit_id"])
    links["_row"] = range(1, len(links) + 1)
    with session_scope(db_url) as session:
        problems = check_agent_links(session, links)
    return dict(zip(problems["_row"], problems["reason"]))


def test_good_links_pass_and_a_redelivered_link_replaces_itself(db_url):
    assert check(db_url, [("K3", "C", "D"), ("K4", "A", "E"), ("K2", "B", "C")]) == {}


def test_self_links_repeats_and_second_recruiters_are_named(db_url):
    problems = check(db_url, [("K3", "D", "D"), ("K4", "A", "B"), ("K5", "X", "C"), ("K6", "C", "F"), ("K7", "E", "F")])
    assert problems[1] == "an agent cannot recruit itself"
    assert problems[2] == "repeats link K1 (same recruiter and recruit)"
    assert problems[3] == "agent C was already recruited by B (link K2)"
    assert problems[5] == "agent F is recruited again (first at row 4)"
    assert 4 not in problems


def test_links_that_close_a_cycle_are_quarantined(db_url):
    problems = check(db_url, [("K3", "C", "A")])  # A → B → C already; C → A closes the loop
    assert problems == {1: "would close a recruitment cycle: A is already above C"}
    within_file = check(db_url, [("K8", "P", "Q"), ("K9", "Q", "P")])
    assert within_file == {2: "would close a recruitment cycle: P is already above Q"}  # file order: the later link


def test_a_large_file_with_a_planted_cycle_finishes_and_names_it(db_url):
    from trust.bench import random_reseller_forest

    links = random_reseller_forest(20_000, seed=3)[["link_id", "recruiter_id", "recruit_id"]]
    parent = dict(zip(links["recruit_id"], links["recruiter_id"]))
    leaf = root = links["recruit_id"].iloc[-1]
    while root in parent:
        root = parent[root]
    rows = list(links.itertuples(index=False, name=None)) + [("Z1", leaf, root)]  # the root joins under its own leaf
    assert check(db_url, rows) == {20_001: f"would close a recruitment cycle: {root} is already above {leaf}"}
