"""The sandbox HTTP server: one stdlib ``ThreadingHTTPServer`` speaking four providers.

URL layout (``{url}`` is e.g. ``http://127.0.0.1:8765``):

- ``{url}/zendesk/api/v2/...``, ``{url}/intercom/...``, ``{url}/mixpanel/api/2.0/...``,
  ``{url}/sendgrid/v3/...`` - the providers, each with its own auth and error shapes;
- ``{url}/_sandbox/...`` - control endpoints (no auth): faults, stats, info, and per
  provider helpers (see each provider's ``control_routes``).

Faults apply to provider paths only, before authentication, as a proxy or load balancer
in front of the real provider would fail; ``hold`` lets the provider act on the request
first and then delays its answer (a response lost after the provider did the work).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from dataclasses import asdict, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from integrations.sandbox.config import SandboxConfig, SandboxCredentials
from integrations.sandbox.data import Dataset
from integrations.sandbox.faults import FaultBoard, RequestStats
from integrations.sandbox.intercom import IntercomProvider
from integrations.sandbox.mixpanel import MixpanelProvider
from integrations.sandbox.sendgrid import SendGridProvider
from integrations.sandbox.web import Request, Response, Route, dispatch, json_response, route
from integrations.sandbox.zendesk import ZendeskProvider

logger = logging.getLogger(__name__)


def _fault_body(provider: str, status: int) -> dict[str, Any]:
    """An injected error in the provider's own error shape."""
    message = "Injected by the sandbox"
    if provider == "zendesk":
        error = "APIRateLimitExceeded" if status == 429 else "ServerError"
        return {"error": error, "description": message}
    if provider == "intercom":
        code = "rate_limit_exceeded" if status == 429 else "server_error"
        return {"type": "error.list", "errors": [{"code": code, "message": message}]}
    if provider == "sendgrid":
        return {"errors": [{"message": message, "field": None}]}
    return {"error": message, "status": status}


class SandboxServer:
    """Start with ``start()`` (background thread) or ``serve_forever()`` (this thread)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        accounts: int = 100,
        days: int = 90,
        seed: int = 42,
        events_per_day: float = 12.0,
        tickets_per_account: float = 3.0,
        today: date | None = None,
        credentials: SandboxCredentials | None = None,
        verbose: bool = False,
    ) -> None:
        config = SandboxConfig(
            accounts=accounts,
            days=days,
            seed=seed,
            events_per_day=events_per_day,
            tickets_per_account=tickets_per_account,
            today=today,
        )
        if credentials is not None:
            config = replace(config, credentials=credentials)
        self.dataset = Dataset(config)
        self.config = self.dataset.config
        self.credentials = self.config.credentials
        self.faults = FaultBoard()
        self.stats = RequestStats()
        self.verbose = verbose
        self.zendesk = ZendeskProvider(self.dataset, self.credentials)
        self.intercom = IntercomProvider(self.dataset, self.credentials)
        self.mixpanel = MixpanelProvider(self.dataset, self.credentials)
        self.sendgrid = SendGridProvider(self.dataset, self.credentials)
        self.providers: dict[str, Any] = {
            p.name: p for p in (self.zendesk, self.intercom, self.mixpanel, self.sendgrid)
        }
        self._routes = {name: p.routes() for name, p in self.providers.items()}
        self._control = self._control_routes()
        for provider in self.providers.values():
            self._control += provider.control_routes()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        # A short poll interval makes stop() quick (tests start one server per test).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name="sandbox-providers",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._stopping.set()  # wakes "slow" handlers so nothing lingers
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling ---------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        """The response to send, or None to drop the connection without one."""
        if request.path.startswith("/_sandbox/"):
            return dispatch(self._control, request) or json_response(
                404, {"error": "no such control endpoint"}
            )
        name = request.path.split("/")[1]
        provider = self.providers.get(name)
        if provider is None:
            return json_response(404, {"error": f"unknown provider path {request.path}"})
        self.stats.record(name, request.method, request.path)
        fault = self.faults.take(name)
        if fault is not None:
            self.stats.record_fault(name, fault.mode)
            if fault.mode == "drop":
                return None
            if fault.mode == "slow":
                self._stopping.wait(fault.delay)
            elif fault.mode == "hold":
                response = self._serve_provider(name, provider, request)
                self._stopping.wait(fault.delay)
                return response
            else:
                status = int(fault.mode)
                headers = {}
                if fault.retry_after is not None:
                    ra = fault.retry_after
                    headers["Retry-After"] = str(int(ra)) if ra == int(ra) else str(ra)
                return json_response(status, _fault_body(name, status), headers)
        return self._serve_provider(name, provider, request)

    def _serve_provider(self, name: str, provider: Any, request: Request) -> Response:
        denied = provider.authenticate(request)
        if denied is not None:
            return denied
        return dispatch(self._routes[name], request) or json_response(
            404, {"error": "NotFound", "description": f"No route for {request.path}"}
        )

    def _control_routes(self) -> list[Route]:
        return [
            route("GET", "/_sandbox/info", lambda r: json_response(200, self.info())),
            route("GET", "/_sandbox/faults", lambda r: json_response(200, self.faults.snapshot())),
            route("POST", "/_sandbox/faults", self._set_fault),
            route("DELETE", "/_sandbox/faults", self._reset_faults),
            route("GET", "/_sandbox/stats", lambda r: json_response(200, self.stats.snapshot())),
            route("DELETE", "/_sandbox/stats", self._reset_stats),
        ]

    def _set_fault(self, request: Request) -> Response:
        try:
            spec = request.json()
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            fault = self.faults.set(spec)
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, {"provider": spec.get("provider", "*"), **fault.as_dict()})

    def _reset_faults(self, request: Request) -> Response:
        self.faults.reset()
        return json_response(200, {"faults": {}})

    def _reset_stats(self, request: Request) -> Response:
        self.stats.reset()
        return json_response(200, self.stats.snapshot())

    def info(self) -> dict[str, Any]:
        """What a client needs to connect: base URLs, credentials, the webhook key."""
        return {
            "url": self.url,
            "base_urls": {name: f"{self.url}/{name}" for name in self.providers},
            "accounts": self.config.accounts,
            "days": self.config.days,
            "seed": self.config.seed,
            "events_per_day": self.config.events_per_day,
            "tickets_per_account": self.config.tickets_per_account,
            "today": self.dataset.today.isoformat(),
            "credentials": asdict(self.credentials),
            "sendgrid_public_key": self.sendgrid.public_key,
        }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts under test) close their sockets mid-response.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        logger.exception("sandbox request from %s failed", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streaming for exports
    server_version = "cs-platform-sandbox/1.0"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.verbose:
            super().log_message(format, *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request.build(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            f"http://{host}",
        )
        try:
            response = self.server.sandbox.handle(request)
        except Exception:
            logger.exception("sandbox handler failed for %s %s", self.command, self.path)
            response = json_response(500, {"error": "sandbox internal error"})
        if response is None:  # the "drop" fault: close without a status line
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(response)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in response.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")
