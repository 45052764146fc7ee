"""Fixtures for tests against the providers: the sandbox provider server over real HTTP,
a webhook receiver, two CSMs' books and connections pointing at the sandbox. Registered for
the whole suite by the root ``conftest.py``.

``sandbox`` options per test: ``@pytest.mark.sandbox(accounts=30, days=60, ...)`` (any
``SandboxServer`` keyword). Every test gets a fresh server (fresh data, no faults) and
closed circuit breakers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from integrations import resilience
from integrations.sandbox import SandboxControl, SandboxServer
from integrations.sandbox.faults import PROVIDERS

if TYPE_CHECKING:
    from integrations.models import Connection

# Models are imported inside the fixtures, as in ``tests/fixtures.py``.

DEFAULT_OPTIONS = {"accounts": 20, "days": 30, "seed": 7}


class SandboxHandle(SandboxControl):
    """Control helpers (faults, stats, touch/add, webhooks) plus the server itself."""

    def __init__(self, server: SandboxServer) -> None:
        super().__init__(server.url)
        self.server = server
        self.dataset = server.dataset
        self.credentials = server.credentials

    def base_url(self, provider: str) -> str:
        return f"{self.url}/{provider}"


def _reset_breakers() -> None:
    for provider in PROVIDERS:
        resilience.reset_breaker(provider)
    resilience.reset_all_breakers()


@pytest.fixture(scope="session", autouse=True)
def _isolated_breakers() -> Iterator[None]:
    """Test workers share one Redis: give each its own breaker keys so one worker's
    tripped breaker cannot fail another worker's tests."""
    from django.conf import settings

    if not settings.configured:  # a pure-library run (`-p no:django`) has no breakers
        yield
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    previous = getattr(settings, "PROVIDER_BREAKER_NAMESPACE", None)
    namespace = f"cs:test:{worker}:{os.getpid()}:breaker"
    settings.PROVIDER_BREAKER_NAMESPACE = namespace
    yield
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
        if keys:
            client.delete(*keys)
    if previous is None:
        del settings.PROVIDER_BREAKER_NAMESPACE
    else:
        settings.PROVIDER_BREAKER_NAMESPACE = previous


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxHandle]:
    marker = request.node.get_closest_marker("sandbox")
    options = {**DEFAULT_OPTIONS, **(marker.kwargs if marker else {})}
    server = SandboxServer(port=0, **options).start()
    _reset_breakers()
    try:
        yield SandboxHandle(server)
    finally:
        server.stop()
        _reset_breakers()


class _Receiver:
    """Captures the raw deliveries the sandbox posts (webhook receivers under test)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: list[tuple[dict[str, str], bytes]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[_Receiver]:
    receiver = _Receiver()
    try:
        yield receiver
    finally:
        receiver.close()


# --- Two books and the connections that point at the sandbox --------------------------

# Fast retries: the tests exercise failures, not patience.
FAST_RETRIES = {"retry_max_attempts": 2, "retry_base_delay": 0.01, "retry_max_delay": 0.05}
ZENDESK_WEBHOOK_SECRET = "zendesk-signing-secret-for-tests"


@pytest.fixture
def two_books(staff) -> dict[str, object]:
    """csm1 owns Acme (contact Ada, primary, and a nameless one); csm2 owns Globex (Bob)."""
    from customers.models import Account, Contact

    acme = Account.objects.create(
        name="Acme Analytics", domain="acme.test", owner=staff["csm1"], zendesk_org_id="4242"
    )
    globex = Account.objects.create(name="Globex", domain="globex.test", owner=staff["csm2"])
    ada = Contact.objects.create(
        account=acme, first_name="Ada", last_name="Lovelace", email="ada@acme.test", is_primary=True
    )
    nameless = Contact.objects.create(account=acme, email="ops@acme.test")
    bob = Contact.objects.create(account=globex, first_name="Bob", email="bob@globex.test")
    return {"acme": acme, "globex": globex, "ada": ada, "nameless": nameless, "bob": bob}


def _connection(provider: str, base_url: str, credentials: dict, **extra) -> Connection:
    from integrations.models import Connection

    settings = {**FAST_RETRIES, **extra.pop("settings", {})}
    return Connection.objects.create(
        provider=provider,
        name=f"{provider} sandbox",
        base_url=base_url,
        credentials=credentials,
        settings=settings,
        **extra,
    )


@pytest.fixture
def sendgrid_connection(db, sandbox) -> Connection:
    return _connection(
        "sendgrid",
        sandbox.base_url("sendgrid"),
        {
            "api_key": sandbox.credentials.sendgrid_api_key,
            "webhook_public_key": sandbox.sendgrid_public_key(),
        },
        settings={"from_email": "success@cs-platform.test", "from_name": "Acme Success"},
    )


@pytest.fixture
def zendesk_connection(db, sandbox) -> Connection:
    c = sandbox.credentials
    return _connection(
        "zendesk",
        sandbox.base_url("zendesk"),
        {"email": c.zendesk_email, "api_token": c.zendesk_api_token},
        webhook_secret=ZENDESK_WEBHOOK_SECRET,
    )


@pytest.fixture
def intercom_connection(db, sandbox) -> Connection:
    c = sandbox.credentials
    return _connection(
        "intercom",
        sandbox.base_url("intercom"),
        {"access_token": c.intercom_access_token},
        webhook_secret=c.intercom_client_secret,
    )
