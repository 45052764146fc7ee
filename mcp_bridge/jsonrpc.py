"""What `/mcp` accepts before the MCP SDK sees a message, and its errors by JSON-RPC 2.0.

The SDK answers a malformed message with -32602 and pydantic's whole report (and an
unknown method the same way), so the view checks the envelope first and answers by the
spec (https://www.jsonrpc.org/specification#error_object): -32700 for a body that is not
JSON, -32600 for JSON that is not a JSON-RPC request, -32601 for a method MCP does not
have, -32602 for parameters that cannot be right (not an object; `tools/call` naming a
tool that does not exist). A tool's own failure is not a protocol error: it is a
`CallToolResult` with `isError` (mcp_bridge.server).
"""

from __future__ import annotations

import json
import typing
from functools import cache
from typing import Any

from django.http import HttpResponse, JsonResponse
from mcp import types

from cs_platform.core.limits import JSONRPC_INVALID_REQUEST, JSONRPC_PARSE_ERROR, jsonrpc_error
from cs_platform.core.tools import tool_registry

JSONRPC_METHOD_NOT_FOUND = -32601
JSONRPC_INVALID_PARAMS = -32602
# Implementation-defined server errors (-32000 to -32099) for HTTP-level refusals, so a
# client reading only the body still learns why; the HTTP status says the same.
JSONRPC_HTTP_ERRORS = {401: -32001, 403: -32003, 404: -32004, 405: -32005, 429: -32029}


@cache
def mcp_methods() -> tuple[frozenset[str], frozenset[str]]:
    """The request and notification methods a client may send, from the SDK's own types."""

    def methods(union: Any) -> frozenset[str]:
        found: set[str] = set()
        for model in typing.get_args(union.model_fields["root"].annotation):
            field = model.model_fields.get("method")
            if field is not None:
                found.update(typing.get_args(field.annotation))
        return frozenset(found)

    return methods(types.ClientRequest), methods(types.ClientNotification)


def _valid_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def envelope_error(body: bytes) -> HttpResponse | None:
    """The JSON-RPC error for a body the SDK should not see, or None to pass it on."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return jsonrpc_error(JSONRPC_PARSE_ERROR, "Parse error: the body is not JSON", status=400)
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return jsonrpc_error(
            JSONRPC_INVALID_REQUEST,
            "Invalid Request: one JSON-RPC 2.0 object expected (no batches)",
            status=400,
        )
    has_id = "id" in message
    if has_id and not _valid_id(message["id"]):
        return jsonrpc_error(
            JSONRPC_INVALID_REQUEST, "Invalid Request: id must be a string or integer", status=400
        )
    request_id = message.get("id")
    if "method" not in message:
        if has_id and ("result" in message or "error" in message):
            return None  # the client's answer to a server request
        return jsonrpc_error(JSONRPC_INVALID_REQUEST, "Invalid Request: no method", status=400)
    method, params = message["method"], message.get("params")
    if not isinstance(method, str):
        return jsonrpc_error(
            JSONRPC_INVALID_REQUEST, "Invalid Request: method must be a string", status=400
        )
    requests, notifications = mcp_methods()
    if method not in (requests if has_id else notifications):
        if not has_id:
            return HttpResponse(status=202)  # a notification is never answered
        return _error_for(request_id, JSONRPC_METHOD_NOT_FOUND, f"Method not found: {method}")
    if params is not None and not isinstance(params, dict):
        return _error_for(request_id, JSONRPC_INVALID_PARAMS, "Invalid params: expected an object")
    if method == "tools/call":
        name = (params or {}).get("name")
        if not isinstance(name, str) or name not in tool_registry():
            # The name is the caller's: never echoed (it may be anything, of any size).
            return _error_for(request_id, JSONRPC_INVALID_PARAMS, "Invalid params: unknown tool")
        arguments = (params or {}).get("arguments")
        if arguments is not None and not isinstance(arguments, dict):
            return _error_for(
                request_id, JSONRPC_INVALID_PARAMS, "Invalid params: arguments must be an object"
            )
    return None


def _error_for(request_id: Any, code: int, message: str) -> JsonResponse:
    """A JSON-RPC error answering request `request_id` (HTTP 200: the request was read)."""
    error = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
    return JsonResponse(error, status=200)


def http_error_as_jsonrpc(response: HttpResponse, data: Any) -> HttpResponse:
    """An HTTP-level refusal (401, 403, 429, …) with its status and headers kept and its
    body a JSON-RPC error whose `data` is the project's error body."""
    code = JSONRPC_HTTP_ERRORS.get(response.status_code, JSONRPC_INVALID_REQUEST)
    message = data.get("message", "request refused") if isinstance(data, dict) else "refused"
    shaped = jsonrpc_error(code, message, status=response.status_code)
    body = json.loads(shaped.content)
    if isinstance(data, dict):
        body["error"]["data"] = data
    shaped.content = json.dumps(body).encode()
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            shaped[header] = value
    return shaped
