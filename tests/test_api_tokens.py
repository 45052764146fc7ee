"""API tokens end to end: the create_api_token command, bearer auth on REST, expiry,
revocation, scopes, last-used time, hashed storage and per-token throttling."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.models import ApiToken
from cs_platform.core.throttling import TokenRateThrottle
from cs_platform.core.tokens import api_token_revoke
from customers.models import Contact

pytestmark = pytest.mark.django_db


def create_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def get(client, url, secret):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_command_prints_a_working_secret_once_and_stores_only_its_hash(client, staff):
    secret, note = create_token(
        "--user", "csm1", "--scopes", "read, write", "--expires-days", "30", "--name", "etl"
    )
    assert secret.startswith("csp_") and "\n" not in secret
    assert "cannot be shown again" in note
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scopes, token.is_agent) == (
        staff["csm1"],
        "etl",
        ["read", "write"],
        False,
    )
    assert token.expires_at - clock.now() > timedelta(days=29, hours=23)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list().get()]
    stored += [str(c) for c in AuditEvent.objects.values_list("changes", flat=True)]
    assert not any(secret in value or secret[4:] in value for value in stored)
    assert token.last_used_at is None

    resp = get(client, "/api/v1/accounts/", secret)
    assert resp.status_code == 200 and resp.json()["results"] == []
    assert ApiToken.objects.get().last_used_at is not None


def test_agent_flag_and_default_expiry(staff):
    create_token("--user", "viewer", "--scopes", "read", "--agent")
    token = ApiToken.objects.get()
    assert token.is_agent is True and token.expires_at is None and token.scopes == ["read"]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--user", "nobody", "--scopes", "read"], "user"),
        (["--user", "csm1", "--scopes", "read,admin"], "scopes"),
        (["--user", "csm1", "--scopes", " , "], "scopes"),
        (["--user", "csm1", "--scopes", "read", "--expires-days", "0"], "expires_days"),
        (["--user", "csm1", "--scopes", "read", "--expires-days", "-3"], "expires_days"),
        (["--user", "csm1", "--scopes", "read", "--name", ""], "name"),
    ],
)
def test_command_refuses_bad_input_and_creates_nothing(staff, args, reason):
    with pytest.raises(CommandError, match=reason):
        create_token(*args)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.create").exists()


def test_expired_revoked_and_unknown_tokens_answer_401(client, staff, make_token):
    expired = make_token(staff["csm1"], name="old")
    ApiToken.objects.filter(name="old").update(expires_at=clock.now() - timedelta(seconds=1))
    revoked = make_token(staff["csm1"], name="revoked")
    api_token_revoke(token=ApiToken.objects.get(name="revoked"), actor_label="test")
    for secret in (expired, revoked, "csp_deadbeef_not-a-real-token", "garbage"):
        resp = get(client, "/api/v1/contacts/", secret)
        assert resp.status_code == 401, secret
        assert resp.json()["code"] == "unauthenticated"
        assert resp["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/contacts/").status_code == 401


def test_read_only_token_reads_but_cannot_write(client, staff, portfolio, make_token):
    reader = make_token(staff["csm1"], scopes=["read"])
    assert get(client, "/api/v1/contacts/", reader).status_code == 200
    before = Contact.objects.count()
    resp = client.post(
        "/api/v1/contacts/",
        {"account": portfolio["healthy"].pk, "email": "r@example.com"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {reader}",
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert resp.json()["details"] == {"required_scope": "write"}
    assert Contact.objects.count() == before
    writer = make_token(staff["csm1"], scopes=["write"])
    assert get(client, "/api/v1/contacts/", writer).status_code == 200  # write implies read


@pytest.fixture
def low_rate(settings, monkeypatch):
    """Three requests a minute per token. DRF binds THROTTLE_RATES when the throttle class
    is defined, so the settings override alone would not reach it."""
    rates = {"token": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_throttle_is_per_token_with_retry_information(client, staff, make_token, low_rate):
    first, second = make_token(staff["csm1"]), make_token(staff["csm1"])
    assert [get(client, "/api/v1/accounts/", first).status_code for _ in range(3)] == [200] * 3
    resp = get(client, "/api/v1/accounts/", first)
    assert resp.status_code == 429
    body = resp.json()
    assert body["code"] == "throttled" and body["retryable"] is True
    assert 0 < body["details"]["retry_after_seconds"] <= 60
    assert 0 < int(resp["Retry-After"]) <= 60
    # The same user's other token has its own budget.
    assert get(client, "/api/v1/accounts/", second).status_code == 200


def test_viewer_reads_all_and_agent_token_is_held_to_its_scope(
    client, staff, portfolio, make_token
):
    viewer = make_token(staff["viewer"])
    resp = get(client, "/api/v1/accounts/", viewer)
    assert {a["id"] for a in resp.json()["results"]} == {a.pk for a in portfolio.values()}
    agent = make_token(staff["manager"], scopes=["read"], is_agent=True)
    contact = Contact.objects.get(account=portfolio["other_csm"])
    assert get(client, f"/api/v1/contacts/{contact.pk}/", agent).json()["id"] == contact.pk
    for token in (viewer, agent):
        resp = client.patch(
            f"/api/v1/contacts/{contact.pk}/",
            {"title": "Changed"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    assert Contact.objects.get(pk=contact.pk).title == ""
