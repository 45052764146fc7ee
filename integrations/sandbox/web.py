"""Framework-free request/response objects shared by the sandbox's provider modules."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host:port as the client addressed us
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern

    @classmethod
    def build(
        cls, method: str, target: str, headers: dict[str, str], body: bytes, base_url: str
    ) -> Request:
        path, _, qs = target.partition("?")
        return cls(method, path, parse_qs(qs, keep_blank_values=True), headers, body, base_url)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The JSON body, or raises ValueError (callers answer 400 in provider shape)."""
        if not self.body:
            raise ValueError("empty body")
        return json.loads(self.body)

    def basic_auth(self) -> tuple[str, str] | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if sep else None

    def bearer(self) -> str | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None

    def url(self, path: str, **query: object) -> str:
        qs = urlencode({k: v for k, v in query.items() if v is not None})
        return f"{self.base_url}{path}" + (f"?{qs}" if qs else "")


@dataclass
class Response:
    status: int
    body: bytes | Iterable[bytes] = b""  # an iterable is sent chunked, as it is produced
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, pattern: str, handler: Handler) -> Route:
    return Route(method, re.compile(f"^{pattern}$"), handler)


def dispatch(routes: Iterable[Route], request: Request) -> Response | None:
    """The matching route's response; None when no route matches the path; 405 when the
    path exists for another method."""
    path_matched = False
    for r in routes:
        match = r.pattern.match(request.path)
        if match is None:
            continue
        path_matched = True
        if r.method == request.method:
            request.params = match.groupdict()
            return r.handler(request)
    if path_matched:
        return json_response(405, {"error": "MethodNotAllowed"})
    return None
