"""MCP over real HTTP with the official `mcp` client against a live server."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from cs_platform.core.tools import tool_registry
from health.models import UsageDaily
from tests.builders import mcp_json

pytestmark = [pytest.mark.django_db(transaction=True)]


async def _session_call(url: str, token: str, calls: list[tuple[str, dict]]):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                tools = await session.list_tools()
                results = [await session.call_tool(name, args) for name, args in calls]
                return init, tools, results


def _mcp(live_server, token, calls):
    return asyncio.run(_session_call(f"{live_server.url}/mcp", token, calls))


def test_initialize_list_and_call_overview_for_two_accounts(
    live_server, portfolio, staff, make_token
):
    token = make_token(staff["csm1"], scopes=["read"])
    healthy, declining = portfolio["healthy"], portfolio["declining"]
    init, tools, results = _mcp(
        live_server,
        token,
        [
            ("get_client_overview", {"account_id": healthy.pk}),
            ("get_client_overview", {"account_id": declining.pk}),
        ],
    )
    assert init.serverInfo.name == "cs-platform"
    listed = {t.name: t for t in tools.tools}
    assert set(tool_registry()) <= set(listed)
    overview_tool = listed["get_client_overview"]
    assert overview_tool.annotations.readOnlyHint is True
    assert overview_tool.inputSchema["properties"]["account_id"]["minimum"] == 1
    assert "$defs" not in json.dumps(overview_tool.inputSchema)
    assert listed["register_client"].annotations.readOnlyHint is False

    first, second = (mcp_json(r) for r in results)
    assert not results[0].isError and not results[1].isError
    assert first["account_id"] == healthy.pk and second["account_id"] == declining.pk
    assert first["name"] == "Fixture 001" and second["name"] == "Fixture 002"
    # Checked against the rows: the declining account has 3 open tickets, one urgent.
    assert second["open_tickets"]["total"] == 3 and second["open_tickets"]["urgent"] == 1
    assert first["open_tickets"]["total"] == 1 and first["open_tickets"]["urgent"] == 0
    last30 = sum(
        UsageDaily.objects.filter(account=declining)
        .order_by("-date")
        .values_list("active_users", flat=True)[:30]
    )
    assert second["usage"]["avg_dau_last_30"] == round(last30 / 30, 1)
    assert second["usage"]["trend_pct"] == -50.0
    assert first["usage"]["trend_pct"] > 0
    assert second["surveys"]["nps"] == round((1 - 2) * 100 / 3, 1)  # 1 promoter, 2 detractors
    assert first["surveys"]["nps"] == round((2 - 0) * 100 / 3, 1)
    assert first["as_of"] and second["payment_status"] == "late"


def test_invalid_arguments_are_iserror_naming_the_field(live_server, portfolio, staff, make_token):
    token = make_token(staff["csm1"])
    _, _, results = _mcp(
        live_server,
        token,
        [
            ("get_client_overview", {"account_id": "not-a-number"}),
            ("list_clients", {"limit": 500}),
            ("get_client_overview", {"account_id": portfolio["other_csm"].pk}),
        ],
    )
    bad_type, bad_limit, out_of_scope = results
    assert bad_type.isError and mcp_json(bad_type)["code"] == "invalid_input"
    assert mcp_json(bad_type)["details"]["errors"][0]["field"] == "account_id"
    assert mcp_json(bad_type)["retryable"] is False
    assert bad_limit.isError and mcp_json(bad_limit)["details"]["errors"][0]["field"] == "limit"
    assert out_of_scope.isError and mcp_json(out_of_scope)["code"] == "not_found"


def test_no_token_is_401_and_get_is_405_at_once(live_server, db):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    resp = httpx.post(f"{live_server.url}/mcp", json=body, timeout=5)
    assert resp.status_code == 401
    bad = httpx.post(
        f"{live_server.url}/mcp",
        json=body,
        timeout=5,
        headers={"Authorization": "Bearer csp_nope_nope"},
    )
    assert bad.status_code == 401
    started = time.monotonic()
    got = httpx.get(f"{live_server.url}/mcp", timeout=5, headers={"Accept": "text/event-stream"})
    assert got.status_code == 405
    assert time.monotonic() - started < 2


def test_rest_and_mcp_give_the_same_answer(live_server, portfolio, staff, make_token):
    token = make_token(staff["manager"], scopes=["read"])
    args = {"account_id": portfolio["declining"].pk}
    _, _, (mcp_result,) = _mcp(live_server, token, [("get_client_overview", args)])
    rest = httpx.post(
        f"{live_server.url}/api/v1/tools/get_client_overview/",
        json=args,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert rest.status_code == 200
    a, b = dict(mcp_json(mcp_result)), rest.json()
    a.pop("as_of"), b.pop("as_of")
    assert a == b

    listing = {"limit": 2}
    _, _, (mcp_list,) = _mcp(live_server, token, [("list_clients", listing)])
    rest_list = httpx.post(
        f"{live_server.url}/api/v1/tools/list_clients/",
        json=listing,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    a, b = dict(mcp_json(mcp_list)), rest_list
    a.pop("as_of"), b.pop("as_of")
    assert a == b and a["totals"]["accounts"] == 3 and a["page"]["has_next"] is True


def test_write_tool_over_mcp_needs_write_scope(live_server, portfolio, staff, make_token):
    read_only = make_token(staff["csm1"], scopes=["read"])
    writer = make_token(staff["csm1"], scopes=["read", "write"])
    args = {"account_id": portfolio["healthy"].pk, "region": "EMEA"}
    _, _, (denied,) = _mcp(live_server, read_only, [("update_client_info", args)])
    assert denied.isError and mcp_json(denied)["code"] == "permission_denied"
    portfolio["healthy"].refresh_from_db()
    assert portfolio["healthy"].region == ""
    _, _, (ok,) = _mcp(live_server, writer, [("update_client_info", args)])
    assert not ok.isError
    assert mcp_json(ok)["changed"] == [{"field": "region", "before": "", "after": "EMEA"}]
    portfolio["healthy"].refresh_from_db()
    assert portfolio["healthy"].region == "EMEA"
