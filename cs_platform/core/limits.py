"""Request body limits, enforced before anything parses the body.

`RequestLimitsMiddleware` refuses, on the API, MCP and webhook paths, a body larger than
``REQUEST_BODY_MAX_BYTES`` (by its Content-Length, before reading it) and a JSON body
nested deeper than ``REQUEST_JSON_MAX_DEPTH`` (counted without parsing, so a 2 KB body of
a thousand ``[`` never reaches a recursive parser). Each refusal is in its channel's
shape: a JSON-RPC error on ``/mcp`` (MCP clients read nothing else), the API's error
body elsewhere. Nothing else of the request runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

LIMITED_PREFIXES = ("/api/", "/mcp", "/webhooks/")
MCP_PATH = "/mcp"
# JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object).
JSONRPC_PARSE_ERROR = -32700
JSONRPC_INVALID_REQUEST = -32600

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, brackets inside strings
    not counted; linear, no recursion (malformed text gets a number, the parser then
    refuses it)."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def jsonrpc_error(code: int, message: str, *, status: int, **data: Any) -> JsonResponse:
    """A JSON-RPC error response with no id (the request could not be read)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data:
        error["data"] = data
    return JsonResponse({"jsonrpc": "2.0", "id": None, "error": error}, status=status)


def api_error(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    body = {"code": code, "message": message, "retryable": False, "details": details}
    return JsonResponse(body, status=status)


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"request body larger than {limit} bytes"
    if request.path.startswith(MCP_PATH):
        return jsonrpc_error(JSONRPC_INVALID_REQUEST, message, status=413, max_bytes=limit)
    return api_error(413, "payload_too_large", message, max_bytes=limit)


def _too_deep(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"JSON nested deeper than {limit} levels"
    if request.path.startswith(MCP_PATH):
        return jsonrpc_error(JSONRPC_PARSE_ERROR, message, status=400, max_depth=limit)
    return api_error(
        400,
        "invalid_input",
        message,
        errors=[{"field": "body", "message": message, "type": "too_deep"}],
    )


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(LIMITED_PREFIXES):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        max_bytes = settings.REQUEST_BODY_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > max_bytes:
            return _too_large(request, max_bytes)
        if length == 0:
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(request, max_bytes)
        content_type = request.META.get("CONTENT_TYPE", "")
        if "json" in content_type or request.path.startswith(MCP_PATH):
            max_depth = settings.REQUEST_JSON_MAX_DEPTH
            if json_depth(body) > max_depth:
                return _too_deep(request, max_depth)
        return None
