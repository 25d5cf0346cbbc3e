"""Reasons in words, as every detector stores them: a JSON list of {code, text} per row, "[]" for a row without any."""

import json

import numpy as np

from trust.detect.base import collect_reasons, reasons_json


def test_reasons_given_for_the_rows_that_have_them_are_the_reasons_given_row_by_row():
    """Issue 21: a night's million reviews are not given a list each; the rows with reasons are, and the text of
    every row is what the list-per-row form gives (order of codes kept, text not escaped to ASCII)."""
    per_row = [[], [("copied_text", "same text as 3 other accounts")], [], [("a", "一"), ("b", 'quote " and \\ slash')], []]
    sparse = {row: items for row, items in enumerate(per_row) if items}
    assert reasons_json(sparse, len(per_row)) == reasons_json(per_row)
    assert reasons_json(per_row)[0] == "[]" and json.loads(reasons_json(per_row)[3])[0] == {"code": "a", "text": "一"}
    assert reasons_json({}, 3) == ["[]"] * 3


def test_collected_reasons_follow_the_rules_in_order_for_each_row():
    fired = {"first": np.array([True, False, True]), "second": np.array([True, True, False])}
    texts = {"first": ["f0", "f1", "f2"], "second": "always the same words"}
    assert [json.loads(r) for r in collect_reasons(3, fired, texts)] == [
        [{"code": "first", "text": "f0"}, {"code": "second", "text": "always the same words"}],
        [{"code": "second", "text": "always the same words"}],
        [{"code": "first", "text": "f2"}]]
