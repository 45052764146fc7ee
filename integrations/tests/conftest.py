"""The ``sandbox`` fixture: sandbox providers over real HTTP on a free loopback port.

Options per test: ``@pytest.mark.sandbox(accounts=30, days=60, events_per_day=5, ...)``
(any ``SandboxServer`` keyword). Every test gets a fresh server (fresh data, no faults)
and closed circuit breakers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings

from integrations import resilience
from integrations.sandbox import SandboxControl, SandboxServer
from integrations.sandbox.faults import PROVIDERS

DEFAULT_OPTIONS = {"accounts": 20, "days": 30, "seed": 7}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(**options): SandboxServer options for a test")


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
