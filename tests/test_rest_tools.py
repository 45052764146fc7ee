"""`POST /api/v1/tools/<name>/` with bearer tokens: scope, errors, throttled shape."""

from __future__ import annotations

import pytest

from customers.models import Account

pytestmark = pytest.mark.django_db


def post(client, name, payload, token):
    return client.post(
        f"/api/v1/tools/{name}/",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("get_client_overview", {}),
        ("update_client_info", {"notes": "x"}),
        ("get_client_timeline", {}),
    ],
)
def test_csm_token_cannot_reach_other_book_over_rest(
    client, portfolio, staff, make_token, name, extra
):
    token = make_token(staff["csm1"])
    resp = post(client, name, {"account_id": portfolio["other_csm"].pk, **extra}, token)
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert Account.objects.get(pk=portfolio["other_csm"].pk).notes == ""
    ok = post(client, name, {"account_id": portfolio["healthy"].pk, **extra}, token)
    assert ok.status_code == 200


def test_rest_validation_error_shape(client, staff, make_token):
    token = make_token(staff["manager"])
    resp = post(client, "list_clients", {"limit": 0, "tier": "gold"}, token)
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_input" and body["retryable"] is False
    assert {e["field"] for e in body["details"]["errors"]} == {"limit", "tier"}


def test_unknown_tool_and_missing_token(client, staff, make_token):
    token = make_token(staff["manager"])
    assert post(client, "no_such_tool", {}, token).status_code == 404
    resp = client.post("/api/v1/tools/list_clients/", {}, content_type="application/json")
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"


def test_read_scope_token_cannot_write(client, portfolio, staff, make_token):
    token = make_token(staff["csm1"], scopes=["read"])
    resp = post(
        client, "update_client_info", {"account_id": portfolio["healthy"].pk, "notes": "x"}, token
    )
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"


def test_metrics_count_tool_calls_and_need_the_metrics_scope(
    client, portfolio, staff, make_token, make_user
):
    token = make_token(staff["manager"])
    post(client, "list_clients", {}, token)
    assert client.get("/metrics").status_code == 401
    # Any staff token is not enough, not even a manager's or a superuser's: the scope is.
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403
    admin = make_user("ops", is_staff=True, is_superuser=True)
    refused = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {make_token(admin)}")
    assert refused.status_code == 403 and "metrics scope" in refused.json()["message"]
    scraper = make_token(make_user("scraper", is_staff=False), scopes=["metrics"])
    # The metrics scope opens /metrics and nothing else.
    assert post(client, "list_clients", {}, scraper).status_code == 403
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {scraper}").content.decode()
    line = next(
        row
        for row in body.splitlines()
        if row.startswith("cs_tool_calls_total{")
        and 'tool="list_clients"' in row
        and 'outcome="ok"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
