"""`/mcp` answers in MCP's own shapes: JSON-RPC errors by the spec for transport problems
(-32700, -32600, -32601, -32602), `isError` results for a tool's failure, and 401/405/429
with their status and headers (`WWW-Authenticate`, `Retry-After`) and a JSON-RPC body."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from django.core.cache import cache
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from cs_platform.core.throttling import TokenRateThrottle
from tests.builders import mcp_json

ACCEPT = "application/json, text/event-stream"


def rpc(client, body, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post("/mcp", raw, content_type="application/json", HTTP_ACCEPT=ACCEPT, **headers)


def call(name, arguments, request_id=1):
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code", "answer_id"),
    [
        ("{not json", 400, -32700, None),
        ("[]", 400, -32600, None),
        ('[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]', 400, -32600, None),
        ("5", 400, -32600, None),
        ('{"jsonrpc": "1.0", "id": 1, "method": "ping"}', 400, -32600, None),
        ('{"jsonrpc": "2.0", "id": 1}', 400, -32600, None),
        ('{"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}', 400, -32600, None),
        ('{"jsonrpc": "2.0", "id": 1, "method": 7}', 400, -32600, None),
        ('{"jsonrpc": "2.0", "id": 3, "method": "tools/destroy"}', 200, -32601, 3),
        ('{"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": [1]}', 200, -32602, 4),
        ('{"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {}}', 200, -32602, 5),
    ],
)
def test_transport_problems_are_json_rpc_errors_by_the_spec(
    client, staff, make_token, body, status, code, answer_id
):
    resp = rpc(client, body, make_token(staff["manager"]))
    assert resp.status_code == status, resp.content
    answer = resp.json()
    assert answer["jsonrpc"] == "2.0" and answer["id"] == answer_id
    assert answer["error"]["code"] == code
    assert "validation error" not in answer["error"]["message"].lower()  # no pydantic dump


@pytest.mark.django_db
def test_unknown_tool_and_non_object_arguments_are_invalid_params(client, staff, make_token):
    token = make_token(staff["manager"])
    unknown = rpc(client, call("x" * 10_000, {}, request_id="a"), token).json()
    assert unknown["id"] == "a" and unknown["error"]["code"] == -32602
    assert "xxxx" not in unknown["error"]["message"]  # the caller's name is not echoed
    listed = rpc(client, call("list_clients", [1], request_id=9), token).json()
    assert listed["id"] == 9 and listed["error"]["code"] == -32602
    # An unknown notification is not answered (JSON-RPC never answers notifications).
    note = rpc(client, {"jsonrpc": "2.0", "method": "notifications/nonsense"}, token)
    assert note.status_code == 202 and note.content == b""


@pytest.mark.django_db
def test_401_carries_www_authenticate_and_a_json_rpc_body(client, staff, make_token):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    missing = rpc(client, ping)
    assert missing.status_code == 401
    # resource_metadata (RFC 9728) leads MCP clients to the OAuth sign-in.
    metadata = 'resource_metadata="http://testserver/.well-known/oauth-protected-resource/mcp"'
    assert missing["WWW-Authenticate"] == f'Bearer realm="mcp", {metadata}'
    body = missing.json()
    assert body["jsonrpc"] == "2.0" and body["id"] is None
    assert body["error"]["code"] == -32001
    assert body["error"]["data"]["code"] == "unauthenticated"
    assert body["error"]["data"]["retryable"] is False
    refused = rpc(client, ping, "csp_not_a_token")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == f'Bearer realm="mcp", error="invalid_token", {metadata}'
    # The envelope is checked only once the caller is known: no probing of tool names.
    assert rpc(client, "{not json").status_code == 401


@pytest.mark.django_db
def test_429_keeps_retry_after_and_is_retryable(client, staff, make_token, settings, monkeypatch):
    rates = {"token": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    token = make_token(staff["manager"])
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert [rpc(client, ping, token).status_code for _ in range(2)] == [200, 200]
    throttled = rpc(client, ping, token)
    cache.clear()
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    error = throttled.json()["error"]
    assert error["code"] == -32029
    assert error["data"]["code"] == "throttled" and error["data"]["retryable"] is True


@pytest.mark.django_db
def test_other_methods_are_405_in_json_rpc(client, staff, make_token):
    token = make_token(staff["manager"])
    resp = client.generic(
        "PUT", "/mcp", "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == -32005


async def _client_calls(url: str, token: str):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                invalid = await session.call_tool("list_clients", {"limit": 0, "search": "a\x00"})
                try:
                    await session.call_tool("no_such_tool", {})
                except McpError as exc:
                    unknown = exc.error
                else:
                    unknown = None
                return invalid, unknown


@pytest.mark.django_db(transaction=True)
def test_official_client_sees_tool_errors_as_results_and_unknown_tools_as_protocol_errors(
    live_server, staff, make_token
):
    token = make_token(staff["manager"])
    invalid, unknown = asyncio.run(_client_calls(f"{live_server.url}/mcp", token))
    assert invalid.isError
    error = mcp_json(invalid)
    assert error["code"] == "invalid_input" and error["retryable"] is False
    assert {e["field"] for e in error["details"]["errors"]} == {"limit", "search"}
    assert unknown is not None and unknown.code == -32602
