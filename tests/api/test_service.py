"""The HTTP contract, over real HTTP: lookups, errors, auth with roles, queues, overrides, the report."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from tests.api.conftest import bearer
from trust.db.engine import read_table, session_scope
from trust.db.tables import AuditEntry, Grade, ModerationLabel


def some_merchant(served, tier=None) -> str:
    with session_scope(served["settings"].db_url) as session:
        statement = select(Grade.merchant_id).where(Grade.business_date == served["last_day"])
        if tier:
            statement = statement.where(Grade.tier == tier)
        return session.execute(statement.order_by(Grade.merchant_id)).scalars().first()


def test_the_openapi_schema_lists_every_endpoint(served):
    paths = served["client"].get("/openapi.json").json()["paths"]
    assert {"/merchants/{merchant_id}/grade", "/merchants/{merchant_id}/grades", "/grades/lookup", "/queues/{queue}",
            "/queues/{queue}/{item_id}/decision", "/overrides", "/appeals/{appeal_id}/decision", "/reports/{business_date}",
            "/publications/{business_date}/release"} <= set(paths)


def test_a_grade_lookup_returns_tier_score_window_reasons_and_metrics_against_thresholds(served):
    merchant = some_merchant(served, "E")
    body = served["client"].get(f"/merchants/{merchant}/grade").json()
    assert body["merchant_id"] == merchant and body["tier"] == "E" and body["as_of"] == served["last_day"].isoformat()
    assert body["window"]["end"] == served["last_day"].isoformat() and body["grade_version"].startswith(body["as_of"])
    assert body["reasons"] and all("text" in r for r in body["reasons"])
    defect = next(m for m in body["metrics"] if m["metric"] == "order_defect_rate_smoothed")
    assert defect["scorecard"]["free_up_to"] == 0.005 and "points_lost" in defect["scorecard"]
    gate = next(m for m in body["metrics"] if m["metric"] == "order_defect_rate")
    assert gate["gates"][0]["at_least"] == 0.02 and gate["gates"][0]["count_metric"] == "order_defects"
    assert body["published"]["status"] == "published" and body["published"]["actor"]


def test_history_and_batch_lookup(served):
    merchant = some_merchant(served)
    history = served["client"].get(f"/merchants/{merchant}/grades", params={"limit": 5}).json()["history"]
    assert history[0]["as_of"] == served["last_day"].isoformat()
    batch = served["client"].post("/grades/lookup", json={"merchant_ids": [merchant, "M_NOBODY"]}).json()
    assert batch["grades"][merchant]["tier"] and batch["grades"]["M_NOBODY"] is None


def test_bad_requests_get_clear_4xx_json_and_never_a_stack_trace(served):
    client = served["client"]
    cases = [client.get("/merchants/M_NOBODY/grade"), client.get("/merchants/bad id!/grade"),
             client.get(f"/merchants/{'x' * 65}/grade"), client.get("/merchants/M000001/grades", params={"limit": 0}),
             client.post("/grades/lookup", json={"merchant_ids": []}),
             client.post("/grades/lookup", json={"merchant_ids": ["M1"] * 1001}),
             client.post("/grades/lookup", content=b"{not json", headers={"content-type": "application/json"}),
             client.get("/reports/2026-13-01"), client.get("/reports/2020-01-01"),
             client.delete("/overrides//", params={"reason": "x"})]  # no empty redirect for a trailing slash
    assert [r.status_code for r in cases] == [404, 422, 422, 422, 422, 422, 422, 422, 404, 404]
    for response in cases:
        assert "error" in response.json() and "Traceback" not in response.text
    assert "has no published grade" in cases[0].json()["error"]


def test_auth_refuses_missing_wrong_expired_tokens_and_the_wrong_role(served):
    client, tokens = served["client"], served["tokens"]
    assert client.get("/queues/reviews").status_code == 401
    assert client.get("/queues/reviews", headers=bearer("trust_wrong")).json()["error"] == "unknown token"
    assert client.get("/queues/reviews", headers=bearer(tokens["expired"])).json()["error"] == "token expired"
    assert client.get("/queues/reviews", headers=bearer(tokens["service"])).status_code == 200
    refused = client.post("/queues/reviews/R1/decision", json={"decision": "confirmed"}, headers=bearer(tokens["service"]))
    assert refused.status_code == 403 and "analyst role" in refused.json()["error"]
    release = client.post(f"/publications/{served['last_day']}/release", json={"reason": "x"}, headers=bearer(tokens["analyst"]))
    assert release.status_code == 403
    # An admin may release, but only a held date: the served date is published, so that is a conflict, not a 404.
    published = client.post(f"/publications/{served['last_day']}/release", json={"reason": "x"}, headers=bearer(tokens["admin"]))
    assert published.status_code == 409 and "is not held" in published.json()["error"]


def test_a_queue_decision_becomes_a_training_label_and_an_audit_entry_and_leaves_the_queue(served, caplog):
    client, tokens = served["client"], served["tokens"]
    caplog.set_level(logging.DEBUG)
    queue = client.get("/queues/reviews", params={"limit": 3}, headers=bearer(tokens["service"])).json()
    item = queue["items"][0]
    assert item["reasons"] and queue["total"] >= 3
    decided = client.post(f"/queues/reviews/{item['item_id']}/decision", json={"decision": "confirmed", "note": "farm ring"},
                          headers=bearer(tokens["analyst"]))
    assert decided.status_code == 200 and decided.json()["label"] == "fake_review"
    after = client.get("/queues/reviews", params={"limit": 500}, headers=bearer(tokens["service"])).json()
    assert item["item_id"] not in {i["item_id"] for i in after["items"]} and after["total"] == queue["total"] - 1
    with session_scope(served["settings"].db_url) as session:
        label = session.execute(select(ModerationLabel).where(ModerationLabel.entity_id == item["item_id"])).scalar_one()
        audit = read_table(session, AuditEntry)
    assert label.analyst == "test-analyst" and label.label == "fake_review"
    assert audit.iloc[-1]["actor"] == "test-analyst" and json.loads(audit.iloc[-1]["detail"])["item_id"] == item["item_id"]
    assert not any(token in record.getMessage() for token in tokens.values() for record in caplog.records)
    assert client.post("/queues/reviews/R_NOPE/decision", json={"decision": "cleared"}, headers=bearer(tokens["analyst"])).status_code == 404


def test_overrides_through_the_api_are_audited_with_their_actor(served):
    client, tokens = served["client"], served["tokens"]
    merchant = some_merchant(served)
    body = {"merchant_id": merchant, "tier": "C", "reason": "under review", "effective_from": "2026-10-01", "expires_on": "2026-12-31"}
    created = client.post("/overrides", json=body, headers=bearer(tokens["analyst"]))
    assert created.status_code == 201 and created.json()["actor"] == "test-analyst"
    bad = client.post("/overrides", json={**body, "tier": "Z"}, headers=bearer(tokens["analyst"]))
    assert bad.status_code == 422
    revoked = client.delete(f"/overrides/{created.json()['id']}", params={"reason": "done"}, headers=bearer(tokens["analyst"]))
    assert revoked.status_code == 200
    again = client.delete(f"/overrides/{created.json()['id']}", params={"reason": "done"}, headers=bearer(tokens["analyst"]))
    assert again.status_code == 409 and "already revoked" in again.json()["error"]
    unknown = client.post("/overrides", json={**body, "merchant_id": "M_NOPE"}, headers=bearer(tokens["analyst"]))
    assert unknown.status_code == 404 and "not in the warehouse" in unknown.json()["error"]
    missing = client.delete("/overrides/99999", params={"reason": "done"}, headers=bearer(tokens["analyst"]))
    assert missing.status_code == 404 and "no override" in missing.json()["error"]
    no_appeal = client.post("/appeals/99999/decision", json={"uphold": True, "note": "checked"}, headers=bearer(tokens["analyst"]))
    assert no_appeal.status_code == 404 and "no appeal" in no_appeal.json()["error"]


def test_the_report_is_served_as_html(served):
    response = served["client"].get(f"/reports/{served['last_day']}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "<svg" in response.text and "Tier distribution" in response.text


def test_review_rings_are_a_queue_with_their_evidence(served):
    client, tokens = served["client"], served["tokens"]
    rings = client.get("/queues/rings", headers=bearer(tokens["service"])).json()
    assert rings["total"] >= 1
    ring = rings["items"][0]
    assert ring["accounts"] >= 5 and ring["merchants"] and "accounts reviewed together" in ring["reasons"][0]["text"]
    decided = client.post(f"/queues/rings/{ring['item_id']}/decision", json={"decision": "confirmed"}, headers=bearer(tokens["analyst"]))
    assert decided.status_code == 200 and decided.json()["label"] == "review_ring"


def test_the_listing_time_check_answers_a_service_with_a_verdict_and_reasons(served):
    client, tokens = served["client"], served["tokens"]
    listing = {"title": "高仿LV老花包 1:1 原单", "price": 380, "category": "箱包"}
    assert client.post("/listings/check", json=listing).status_code == 401
    verdict = client.post("/listings/check", json=listing, headers=bearer(tokens["service"])).json()
    assert verdict["verdict"] == "review" and "counterfeit_risk" in verdict["flags"]
    assert any(r["code"] == "counterfeit_slang" for r in verdict["reasons"]) and "nightly market context" in verdict["context"]
    settings = served["settings"]
    assert str(settings.data_dir) not in json.dumps(verdict) and "/" not in verdict["context"]  # no server paths
    honest = client.post("/listings/check", json={"title": "适用于 iPhone 16 手机壳", "price": 35, "category": "数码"},
                         headers=bearer(tokens["service"])).json()
    assert honest["verdict"] == "pass"
    bad = client.post("/listings/check", json={"title": "x", "price": -3}, headers=bearer(tokens["service"]))
    assert bad.status_code == 422 and "price" in bad.json()["problems"][0]["where"]


def test_the_openapi_schema_declares_the_bearer_scheme_and_the_real_error_body(served):
    schema = served["client"].get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["token"]["description"]}
    error = schema["components"]["schemas"]["ErrorBody"]
    assert set(error["properties"]) == {"error", "problems"} and "HTTPValidationError" not in schema["components"]["schemas"]
    release = schema["paths"]["/publications/{business_date}/release"]["post"]
    assert release["security"] == [{"token": []}]
    for status in ("401", "403", "404", "409", "422", "503"):
        assert release["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody"), status
    lookup = schema["paths"]["/merchants/{merchant_id}/grade"]["get"]
    assert "security" not in lookup and lookup["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    # and the bodies really are that shape
    assert set(served["client"].get("/merchants/NOPE/grade").json()) == {"error"}
    assert set(served["client"].get("/merchants/bad%20id/grade").json()) == {"error", "problems"}


def test_every_request_is_logged_once_with_status_time_and_token_name_but_never_the_token(served, caplog):
    client, tokens = served["client"], served["tokens"]
    caplog.set_level(logging.INFO, logger="trust.api.access")
    client.get("/queues/reviews", params={"limit": 1, "secret": "x"}, headers=bearer(tokens["service"]))
    client.get("/merchants/NOPE/grade")
    lines = [r.getMessage() for r in caplog.records if r.name == "trust.api.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /queues/reviews 200 ") and lines[0].endswith("ms token=test-service")
    assert lines[1].startswith("GET /merchants/NOPE/grade 404 ") and lines[1].endswith("token=-")
    assert not any(token in line for token in tokens.values() for line in lines) and "secret" not in "".join(lines)
