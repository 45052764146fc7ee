"""What agents pay for: a tools/list within a character budget, every schema property
typed, compact JSON answers without a second copy, structured content and toolsets on
request, and each tool's full notes as a resource."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from cs_platform.core.tools import tool_registry
from mcp_bridge.schema import toolsets_of
from mcp_bridge.server import mcp_tool_list

# Description plus input schema, per tool, averaged over the catalogue (issue budget 1,200;
# a new tool aims for 1,000).
BUDGET_PER_TOOL = 1200
TYPE_KEYS = ("type", "anyOf", "oneOf", "allOf", "enum", "const", "$ref")


def _listed_chars(tool) -> int:
    schema = json.dumps(tool.inputSchema, separators=(",", ":"), ensure_ascii=False)
    return len(tool.description or "") + len(schema)


def test_tools_list_fits_the_character_budget_per_tool():
    tools = mcp_tool_list()
    assert len(tools) == len(tool_registry())
    average = sum(_listed_chars(t) for t in tools) / len(tools)
    assert average <= BUDGET_PER_TOOL, f"{average:.0f} characters per tool"
    # No tool ships its output schema or a generated title unless asked for.
    assert all(t.outputSchema is None for t in tools)
    assert not any(_generated_titles(t.inputSchema) for t in tools)


def _generated_titles(node) -> bool:
    # pydantic's titles are strings; a property named "title" is a dict and stays.
    if isinstance(node, dict):
        return any(
            (k == "title" and isinstance(v, str)) or _generated_titles(v) for k, v in node.items()
        )
    return isinstance(node, list) and any(_generated_titles(v) for v in node)


def _untyped(node, path: str, found: list[str]) -> None:
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            if not any(k in prop for k in TYPE_KEYS):
                found.append(f"{path}.{name}")
            _untyped(prop, f"{path}.{name}", found)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                if not any(k in node[key] for k in TYPE_KEYS):
                    found.append(f"{path}[]")
                _untyped(node[key], f"{path}[]", found)
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(key, []):
                if not any(k in branch for k in TYPE_KEYS):
                    found.append(f"{path}|{key}")
                _untyped(branch, path, found)


def test_every_property_of_every_schema_declares_its_type():
    found: list[str] = []
    for tool in mcp_tool_list(structured=True):
        _untyped(tool.inputSchema, f"{tool.name}:in", found)
        _untyped(tool.outputSchema, f"{tool.name}:out", found)
    assert found == []


async def _session(url: str, token: str, work):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)


def _run(url: str, token: str, work):
    return asyncio.run(_session(url, token, work))


@pytest.mark.django_db(transaction=True)
def test_answers_are_compact_json_text_with_structured_content_only_on_request(
    live_server, portfolio, staff, make_token
):
    token = make_token(staff["csm1"], scopes=["read"])
    args = {"account_id": portfolio["declining"].pk}

    async def overview(session):
        return await session.call_tool("get_client_overview", args)

    plain = _run(f"{live_server.url}/mcp", token, overview)
    (block,) = plain.content
    assert plain.structuredContent is None and not plain.isError
    assert "\n" not in block.text and ": " not in block.text and '", "' not in block.text
    answer = json.loads(block.text)
    assert answer["account_id"] == portfolio["declining"].pk
    assert answer["open_tickets"]["total"] == 3

    structured = _run(f"{live_server.url}/mcp?structured=1", token, overview)
    assert structured.structuredContent == json.loads(structured.content[0].text)
    assert structured.structuredContent["open_tickets"] == answer["open_tickets"]

    async def missing(session):
        return await session.call_tool("get_client_overview", {"account_id": 999999})

    error = _run(f"{live_server.url}/mcp", token, missing)
    assert error.isError and error.structuredContent is None
    assert json.loads(error.content[0].text)["code"] == "not_found"

    async def listed(session):
        return (await session.list_tools()).tools

    assert all(t.outputSchema is None for t in _run(f"{live_server.url}/mcp", token, listed))
    with_schemas = _run(f"{live_server.url}/mcp?structured=1", token, listed)
    assert all(t.outputSchema["type"] == "object" for t in with_schemas)


@pytest.mark.django_db(transaction=True)
def test_toolsets_list_only_the_chosen_apps_and_groups(live_server, staff, make_token):
    token = make_token(staff["csm1"], scopes=["read"])

    async def listed(session):
        return [t.name for t in (await session.list_tools()).tools]

    names = _run(f"{live_server.url}/mcp?toolsets=health,support", token, listed)
    registry = tool_registry()
    expected = [n for n, s in registry.items() if toolsets_of(s) & {"health", "support"}]
    assert names == expected
    assert "handle_support_ticket" in names and "calculate_health_score" in names
    assert "list_clients" not in names and len(names) < len(registry)

    async def refused(session):
        try:
            await session.list_tools()
        except McpError as exc:
            return exc.error
        return None

    error = _run(f"{live_server.url}/mcp?toolsets=health,nonsense", token, refused)
    assert error.code == -32602 and error.data == {"field": "toolsets"}
    assert "known: accounts," in error.message and "nonsense" not in error.message


@pytest.mark.django_db(transaction=True)
def test_a_tools_full_notes_are_a_resource(live_server, staff, make_token):
    token = make_token(staff["csm1"], scopes=["read"])
    spec = tool_registry()["handle_support_ticket"]

    async def read(session):
        listed = (await session.list_tools()).tools
        resources = (await session.list_resources()).resources
        notes = await session.read_resource(f"cs-platform://tools/{spec.name}")
        return listed, resources, notes

    listed, resources, notes = _run(f"{live_server.url}/mcp", token, read)
    summary = next(t for t in listed if t.name == spec.name).description
    assert notes.contents[0].text == spec.description
    assert len(summary) < len(spec.description) and spec.description.startswith(summary[:40])
    assert f"cs-platform://tools/{spec.name}" in {str(r.uri) for r in resources}


INSPECTOR_DIR = Path(__file__).resolve().parent.parent / "scripts" / "mcp_inspector"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_mcp_inspector_strict_reports_no_schema_problems(live_server, staff, make_token):
    """The official MCP Inspector CLI (pinned in scripts/mcp_inspector) lists the tools
    over HTTP with --strict, which reports every schema portability problem."""
    if shutil.which("npm") is None:
        pytest.fail("npm is required for the MCP Inspector check (apt-get install npm)")
    binary = INSPECTOR_DIR / "node_modules" / ".bin" / "mcp-inspector"
    if not binary.exists():
        # stdin from /dev/null: under xdist the worker's stdin is its channel to the
        # controller, and npm reading from it hung the whole suite.
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=INSPECTOR_DIR,
            check=True,
            timeout=300,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
    token = make_token(staff["csm1"], scopes=["read"])
    # With ?structured=1 the list carries the output schemas too, so both are checked.
    for url in (f"{live_server.url}/mcp", f"{live_server.url}/mcp?structured=1"):
        done = subprocess.run(
            [str(binary), "--cli", url, "--transport", "http",
             "--header", f"Authorization: Bearer {token}", "--method", "tools/list", "--strict"],
            capture_output=True, text=True, timeout=180, env={**os.environ, "CI": "true"},
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        listed = json.loads(done.stdout)
        assert {t["name"] for t in listed["tools"]} == set(tool_registry())
        assert done.stderr.strip() == "", done.stderr[-3000:]


def _rpc(client, token: str, name: str, arguments: dict, query: str = "") -> dict:
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}  # fmt: skip
    resp = client.post(
        "/mcp" + query, json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/json, text/event-stream",
    )  # fmt: skip
    assert resp.status_code == 200, resp.content[:300]
    answer = resp.json()
    text = answer["result"]["content"][0]["text"]
    answer["result"]["content"][0]["text"] = {
        k: v for k, v in json.loads(text).items() if k != "as_of"
    }
    answer["result"].get("structuredContent", {}).pop("as_of", None)
    return answer


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?structured=1"])
def test_direct_tool_calls_answer_exactly_as_the_sdk_does(
    client, portfolio, staff, make_token, settings, query
):
    """tools/call is answered in the request thread (no SDK event loop); the SDK's own
    answer to the same message is the reference, for a result and for a tool error."""
    token = make_token(staff["csm1"], scopes=["read"])
    url_calls = [
        ("get_client_overview", {"account_id": portfolio["declining"].pk}),
        ("get_client_overview", {"account_id": 999999}),
        ("list_clients", {"limit": 1, "sort": "arr"}),
    ]
    for name, arguments in url_calls:
        settings.MCP_DIRECT_TOOL_CALLS = True
        direct = _rpc(client, token, name, arguments, query)
        settings.MCP_DIRECT_TOOL_CALLS = False
        through_sdk = _rpc(client, token, name, arguments, query)
        assert direct == through_sdk, name
        assert ("structuredContent" in direct["result"]) is bool(query), name
