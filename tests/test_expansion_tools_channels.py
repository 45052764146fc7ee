"""The monitor, expansion, renewal and communication tools over both channels: MCP with
the official client and REST, against a live server; reads with a read-scope token."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.builders import mcp_json

pytestmark = pytest.mark.django_db(transaction=True)
# Not `date_sensitive`, though the tools take dates: this checks that each answers over
# both channels; what each answers on an awkward date is its own tests' (marked) concern.

# (tool, arguments, scope it needs, a key of the answer that must be there)
CASES = [
    ("list_available_workers", {}, "read", "workers"),
    ("get_worker_config", {"key": "upsell_detector"}, "read", "thresholds"),
    ("get_autonomous_status", {}, "read", "monitors"),
    (
        "configure_autonomous_worker",
        {"key": "upsell_detector", "interval_minutes": 60},
        "write",
        "changed",
    ),
    ("trigger_worker_now", {"key": "upsell_detector"}, "write", "run_id"),
    ("identify_upsell_opportunities", {}, "write", "opportunities"),
    ("identify_crosssell_opportunities", {}, "write", "opportunities"),
    ("identify_expansion_opportunities", {}, "write", "opportunities"),
    ("track_renewals", {}, "read", "renewals"),
    ("forecast_renewals", {}, "read", "months"),
    ("negotiate_renewals", {"action": "list"}, "read", "renewals"),
    ("track_revenue_expansion", {}, "read", "overall"),
    ("optimize_customer_lifetime_value", {}, "read", "tiers"),
    ("automate_communications", {"action": "list"}, "read", "rules"),
    ("automate_newsletters", {"action": "list"}, "read", "newsletters"),
    ("manage_community", {"action": "list_programs"}, "read", "programs"),
    ("manage_advocacy_program", {"action": "list_programs"}, "read", "programs"),
    ("conduct_executive_review", {"action": "list"}, "read", "reviews"),
]


async def _mcp_calls(url: str, token: str, calls: list[tuple[str, dict]]) -> list:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [await session.call_tool(name, args) for name, args in calls]


def test_every_tool_answers_over_mcp_and_rest(live_server, staff, expansion_book, make_token):
    tokens = {
        "read": make_token(staff["manager"], scopes=["read"]),
        "write": make_token(staff["manager"]),
    }
    for scope in ("read", "write"):
        cases = [c for c in CASES if c[2] == scope]
        results = asyncio.run(
            _mcp_calls(f"{live_server.url}/mcp", tokens[scope], [(n, a) for n, a, _, _ in cases])
        )
        for (name, _, _, key), result in zip(cases, results, strict=True):
            assert not result.isError, (name, result.content)
            assert key in mcp_json(result), name
        for name, args, _, key in cases:
            resp = httpx.post(
                f"{live_server.url}/api/v1/tools/{name}/",
                json=args,
                headers={"Authorization": f"Bearer {tokens[scope]}"},
                timeout=30,
            )
            assert resp.status_code == 200, (name, resp.text)
            assert key in resp.json(), name


def test_write_tools_refuse_a_read_scope_token(live_server, staff, make_token):
    token = make_token(staff["manager"], scopes=["read"])
    writes = [(n, a) for n, a, scope, _ in CASES if scope == "write"]
    writes.append(("forecast_renewals", {"action": "clear_override", "renewal_id": 1}))
    for name, args in writes:
        resp = httpx.post(
            f"{live_server.url}/api/v1/tools/{name}/",
            json=args,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied", name
