"""The resilient-call helper against the sandbox over real HTTP (no mocked requests).

Each test uses its own provider name for the breaker (``provider_request``'s first
argument is only a breaker/metrics label; the URL picks the sandbox route), so breaker
state cannot leak between tests or test workers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
from django.conf import settings
from django.test import override_settings
from prometheus_client import REGISTRY

from integrations import resilience
from integrations.errors import (
    ProviderAuthError,
    ProviderClientError,
    ProviderConnectionError,
    ProviderRateLimited,
    ProviderServerError,
    ProviderTimeout,
    ProviderUnavailable,
)
from integrations.resilience import breaker_state, provider_request

FAST = {"base_delay": 0.01, "max_delay": 0.05}


@pytest.fixture
def name():
    """A breaker of its own for this test."""
    provider = f"zendesk-test-{uuid.uuid4().hex[:8]}"
    yield provider
    resilience.reset_breaker(provider)


def ticket_url(sandbox, ticket_id=1):
    return f"{sandbox.url}/zendesk/api/v2/tickets/{ticket_id}.json"


def zd_auth(sandbox):
    c = sandbox.credentials
    return (f"{c.zendesk_email}/token", c.zendesk_api_token)


def calls(provider, outcome):
    return (
        REGISTRY.get_sample_value(
            "cs_provider_calls_total", {"provider": provider, "outcome": outcome}
        )
        or 0
    )


def test_429_with_retry_after_waits_then_succeeds(sandbox, name):
    sandbox.set_fault("zendesk", "429", count=1, retry_after=1)
    started = time.monotonic()
    response = provider_request(name, "GET", ticket_url(sandbox), auth=zd_auth(sandbox))
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and response.json()["ticket"]["id"] == 1
    assert 1.0 <= elapsed < 2.0
    assert sandbox.requests_to("zendesk") == 2
    assert calls(name, "rate_limited") == 1 and calls(name, "success") == 1
    assert breaker_state(name).failures == 0


def test_retry_after_beyond_max_delay_is_not_waited_for(sandbox, name):
    sandbox.set_fault("zendesk", "429", retry_after=120)
    started = time.monotonic()
    with pytest.raises(ProviderRateLimited) as caught:
        provider_request(name, "GET", ticket_url(sandbox), auth=zd_auth(sandbox), max_delay=5)
    assert time.monotonic() - started < 0.5
    assert caught.value.retry_after == 120 and caught.value.retryable is True
    assert caught.value.code == "provider_rate_limited"
    assert sandbox.requests_to("zendesk") == 1


def test_five_server_errors_open_the_breaker_for_every_process(sandbox, name):
    sandbox.set_fault("zendesk", "500")
    with pytest.raises(ProviderServerError) as caught:
        provider_request(name, "GET", ticket_url(sandbox), max_attempts=5, **FAST)
    assert caught.value.status == 500 and caught.value.attempts == 5
    assert sandbox.requests_to("zendesk") == 5
    state = breaker_state(name)
    assert (state.state, state.failures, state.fail_max) == ("open", 5, 5)
    assert state.opened_at is not None

    # While open, nothing reaches the provider.
    sandbox.reset_faults()
    with pytest.raises(ProviderUnavailable) as refused:
        provider_request(name, "GET", ticket_url(sandbox), auth=zd_auth(sandbox))
    assert refused.value.code == "provider_unavailable" and refused.value.retryable is True
    assert sandbox.requests_to("zendesk") == 5
    assert calls(name, "breaker_open") == 1

    if not settings.REDIS_URL:
        pytest.skip("cross-process breaker state needs REDIS_URL")
    assert state.shared is True
    code = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "settings.PROVIDER_BREAKER_NAMESPACE = sys.argv[2]\n"
        "from integrations.errors import ProviderUnavailable\n"
        "from integrations.resilience import breaker_state, provider_request\n"
        "state = breaker_state(sys.argv[1]).as_dict()\n"
        "try:\n"
        "    provider_request(sys.argv[1], 'GET', sys.argv[3])\n"
        "except ProviderUnavailable as exc:\n"
        "    state['refused'] = exc.code\n"
        "print(json.dumps(state))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cs_platform.settings",
        "REDIS_URL": settings.REDIS_URL,
    }
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            name,
            settings.PROVIDER_BREAKER_NAMESPACE,
            ticket_url(sandbox),
        ],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.returncode == 0, other.stderr
    seen = json.loads(other.stdout.strip().splitlines()[-1])
    assert (seen["state"], seen["failures"], seen["shared"]) == ("open", 5, True)
    assert seen["refused"] == "provider_unavailable"
    assert sandbox.requests_to("zendesk") == 5  # the other process did not call either


def test_breaker_half_opens_after_reset_timeout_and_closes_on_success(sandbox, name):
    resilience.configure_breaker(name, fail_max=2, reset_timeout=1)
    sandbox.set_fault("zendesk", "503")
    with pytest.raises(ProviderServerError):
        provider_request(name, "GET", ticket_url(sandbox), max_attempts=2, **FAST)
    assert breaker_state(name).state == "open"
    sandbox.reset_faults()
    time.sleep(2.1)  # opened_at is stored with one-second resolution
    response = provider_request(name, "GET", ticket_url(sandbox), auth=zd_auth(sandbox))
    assert response.status_code == 200
    assert (breaker_state(name).state, breaker_state(name).failures) == ("closed", 0)
    assert sandbox.requests_to("zendesk") == 3


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/zendesk/api/v2/tickets/999999.json", None, 404),
        ("POST", "/zendesk/api/v2/tickets.json", {"ticket": {"subject": "no body"}}, 422),
        ("POST", "/zendesk/api/v2/tickets.json", {"nothing": True}, 400),
    ],
)
def test_client_errors_are_not_retried_and_do_not_trip_the_breaker(
    sandbox, name, method, path, body, status
):
    with pytest.raises(ProviderClientError) as caught:
        provider_request(name, method, sandbox.url + path, json=body, auth=zd_auth(sandbox))
    error = caught.value
    assert (error.status, error.retryable, error.attempts) == (status, False, 1)
    assert error.code == "provider_client_error" and error.body_excerpt.startswith("{")
    assert sandbox.requests_to("zendesk") == 1
    state = breaker_state(name)
    assert (state.state, state.failures) == ("closed", 0)


def test_wrong_credentials_raise_auth_error_once(sandbox, name):
    with pytest.raises(ProviderAuthError) as caught:
        provider_request(name, "GET", ticket_url(sandbox), auth=("x/token", "wrong"))
    assert caught.value.status == 401 and caught.value.code == "provider_auth_failed"
    assert "Couldn't authenticate you" in caught.value.body_excerpt
    assert sandbox.requests_to("zendesk") == 1


def test_slow_response_fails_fast_with_provider_timeout(sandbox, name):
    sandbox.set_fault("zendesk", "slow", delay=3)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        provider_request(
            name,
            "GET",
            ticket_url(sandbox),
            auth=zd_auth(sandbox),
            timeout=(1.0, 0.5),
            max_attempts=2,
            **FAST,
        )
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, "two attempts of 0.5 s read timeout, not the 3 s delay"
    assert caught.value.attempts == 2 and caught.value.retryable is True
    assert sandbox.requests_to("zendesk") == 2
    assert breaker_state(name).failures == 2


def test_dropped_connections_are_retried_until_the_fault_is_exhausted(sandbox, name):
    sandbox.set_fault("zendesk", "drop", count=2)
    with requests.Session() as session:
        response = provider_request(
            name, "GET", ticket_url(sandbox), session=session, auth=zd_auth(sandbox), **FAST
        )
    assert response.status_code == 200
    assert sandbox.requests_to("zendesk") == 3
    assert calls(name, "connection_error") == 2
    assert breaker_state(name).failures == 0  # the success reset the count


def test_non_idempotent_post_is_not_repeated_after_a_500(sandbox, name):
    mail = {
        "personalizations": [{"to": [{"email": "a@b.example"}]}],
        "from": {"email": "c@d.example"},
        "subject": "s",
        "content": [{"type": "text/plain", "value": "v"}],
    }
    headers = {"Authorization": f"Bearer {sandbox.credentials.sendgrid_api_key}"}
    url = f"{sandbox.url}/sendgrid/v3/mail/send"
    sandbox.set_fault("sendgrid", "500", count=1)
    with pytest.raises(ProviderServerError):
        provider_request(name, "POST", url, json=mail, headers=headers, **FAST)
    assert sandbox.requests_to("sendgrid") == 1  # the mail may have gone: no duplicate

    sandbox.set_fault("sendgrid", "503", count=1)  # 503: not processed, safe to repeat
    response = provider_request(name, "POST", url, json=mail, headers=headers, **FAST)
    assert response.status_code == 202 and response.headers["X-Message-Id"]
    assert sandbox.requests_to("sendgrid") == 3
    assert len(sandbox.sendgrid_sent()) == 1


def test_connection_refused_is_a_retryable_connection_error(name):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the call: nothing listens
    with pytest.raises(ProviderConnectionError) as caught:
        provider_request(name, "POST", f"http://127.0.0.1:{port}/x", max_attempts=2, **FAST)
    assert caught.value.attempts == 2 and caught.value.code == "provider_connection_error"


def test_invalid_url_is_a_client_error_and_not_a_breaker_failure(name):
    with pytest.raises(ProviderClientError):
        provider_request(name, "GET", "not-a-url")
    assert breaker_state(name).failures == 0


def test_without_redis_the_breaker_is_process_local(name):
    with override_settings(REDIS_URL=""):
        state = breaker_state(name)
    assert (state.state, state.shared) == ("closed", False)
