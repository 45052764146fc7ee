"""Sign-in hardening: admin sign-in locked out after repeated failures without keeping what
was typed, /metrics behind its own scope, and the API docs public or not by a setting."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from axes.utils import reset as axes_reset
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from cs_platform.core.models import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db]

LOGIN = "/admin/login/"


@pytest.fixture
def signer(fast_hashing):
    """A staff user with a name no other run uses (lock-outs live in the shared cache for
    their cool-off), cleared from the lock-out counts afterwards."""
    user = UserFactory(username=f"signer-{uuid.uuid4().hex[:10]}", role=Role.CSM)
    yield user
    axes_reset(ip="127.0.0.1", username=user.username)


def _attempt(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_repeated_failures_lock_the_username_out_without_keeping_it(
    client, signer, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    typed = [f"guess-{n}" for n in range(5)]
    answers = [_attempt(client, signer.username, guess).status_code for guess in typed]
    assert answers == [200, 200, 200, 200, 429]
    # Locked: even the right password is refused until the cool-off ends.
    assert _attempt(client, signer.username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # Another username from the same address is not locked.
    other = UserFactory(username=f"other-{uuid.uuid4().hex[:10]}", role=Role.CSM)
    assert _attempt(client, other.username, PASSWORD).status_code == 302
    # The trail has the failures and the lock-out, never the typed username or passwords.
    events = AuditEvent.objects.filter(action__in=["auth.login_failed", "auth.locked_out"])
    assert {e.action for e in events} == {"auth.login_failed", "auth.locked_out"}
    trail = json.dumps([[e.actor_label, e.changes] for e in events])
    assert signer.username not in trail and not any(g in trail for g in typed)
    # Nor do django-axes' log lines (which name the path instead).
    assert "AXES: Locking out {path: /admin/login/}" in caplog.text
    assert signer.username not in caplog.text and "guess-" not in caplog.text
    axes_reset(ip="127.0.0.1", username=other.username)
    # An operator unlocks early as documented (`axes_reset_ip_username <address> <name>`).
    client.logout()
    call_command("axes_reset_ip_username", "127.0.0.1", signer.username, stdout=io.StringIO())
    assert _attempt(client, signer.username, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_count(client, signer):
    for n in range(4):
        assert _attempt(client, signer.username, f"wrong-{n}").status_code == 200
    assert _attempt(client, signer.username, PASSWORD).status_code == 302
    client.logout()
    for n in range(4):
        assert _attempt(client, signer.username, f"again-{n}").status_code == 200
    assert _attempt(client, signer.username, PASSWORD).status_code == 302


def test_metrics_in_a_browser_is_for_managers(client):
    client.force_login(UserFactory(username="metrics-csm", role=Role.CSM))
    assert client.get("/metrics").status_code == 403
    client.force_login(UserFactory(username="metrics-manager", role=Role.MANAGER))
    answer = client.get("/metrics")
    assert answer.status_code == 200 and b"# HELP" in answer.content


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_api_docs_are_public_or_not_by_setting(client, settings, staff, make_token, path):
    assert settings.API_DOCS_PUBLIC is True  # the default
    assert client.get(path).status_code == 200
    settings.API_DOCS_PUBLIC = False
    assert client.get(path).status_code in (401, 403)
    token = make_token(staff["viewer"], scopes=["read"])
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    client.force_login(UserFactory(username="docs-reader", role=Role.VIEWER))
    assert client.get(path).status_code == 200
    assert reverse("schema") == "/api/schema/"
