"""Fuzzing every endpoint's parameters: whatever comes in, the answer is a JSON 2xx/4xx, never a 500."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.api.conftest import bearer

TEXT = st.text(min_size=0, max_size=80)


def seg(value) -> str:
    """A path segment as a client sends it (percent-encoded); an empty one still addresses the route."""
    return quote(str(value), safe="") or "%20"

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _ok(response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(("application/json", "text/html"))


@FUZZ
@given(merchant_id=TEXT, limit=st.one_of(st.integers(-10, 1000), TEXT))
def test_lookup_parameters(served, merchant_id, limit):
    client = served["client"]
    _ok(client.get(f"/merchants/{seg(merchant_id)}/grade"))
    _ok(client.get(f"/merchants/{seg(merchant_id)}/grades", params={"limit": limit}))


@FUZZ
@given(body=st.one_of(st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.lists(TEXT, max_size=5))),
                      st.lists(st.integers(), max_size=3), TEXT))
def test_batch_body(served, body):
    _ok(served["client"].post("/grades/lookup", json=body))


@FUZZ
@given(queue=TEXT, item=TEXT, decision=TEXT, limit=st.integers(-5, 2000), offset=st.integers(-5, 10**7))
def test_analyst_parameters(served, queue, item, decision, limit, offset):
    client, token = served["client"], served["tokens"]["analyst"]
    _ok(client.get(f"/queues/{seg(queue)}", params={"limit": limit, "offset": offset}, headers=bearer(token)))
    _ok(client.post(f"/queues/{seg(queue)}/{seg(item)}/decision", json={"decision": decision}, headers=bearer(token)))


HEADER = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80)  # what HTTP allows in a value


@FUZZ
@given(date=TEXT, override_id=st.one_of(st.integers(-5, 2**40), TEXT), header=HEADER)
def test_dates_ids_and_headers(served, date, override_id, header):
    client = served["client"]
    _ok(client.get(f"/reports/{seg(date)}"))
    _ok(client.delete(f"/overrides/{seg(override_id)}", params={"reason": "fuzz"}, headers={"Authorization": header}))
