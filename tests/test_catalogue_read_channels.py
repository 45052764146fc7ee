"""The support, feedback and onboarding tools over both channels with a read-scope token:
their read actions answer the same over REST and MCP (official client), and a write
action over MCP with the read scope is refused."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.builders import mcp_json

pytestmark = [pytest.mark.django_db(transaction=True)]

# (tool, payload); "{acme}" is replaced by the fixture account's id.
READ_CALLS = [
    ("route_tickets", {"action": "dry_run"}),
    ("route_tickets", {"action": "load"}),
    ("manage_knowledge_base", {"action": "search", "query": "password"}),
    ("manage_customer_portal", {"action": "get", "account_id": "{acme}"}),
    ("analyze_support_performance", {"account_id": "{acme}", "weeks": 4}),
    ("collect_feedback", {"action": "list"}),
    ("analyze_feedback_sentiment", {"days": 90}),
    ("manage_voice_of_customer", {"action": "summary", "account_id": "{acme}"}),
    ("share_product_insights", {"action": "list"}),
    ("track_cs_metrics", {"months": 3}),
    ("create_onboarding_plan", {"action": "templates"}),
    ("deliver_training_session", {"action": "list"}),
    ("manage_certification_program", {"action": "list"}),
    ("track_onboarding_progress", {"status": "all"}),
    ("optimize_onboarding_process", {}),
    ("optimize_time_to_value", {}),
    ("map_customer_journey", {"account_id": "{acme}"}),
]
WRITE_CALLS = [
    ("update_knowledge_base", {"action": "create", "slug": "x", "title": "X", "body": "Y"}),
    ("collect_feedback", {"action": "create", "account_id": 1, "kind": "bug", "text": "x"}),
]


def _fill(payload: dict, ids: dict) -> dict:
    return {
        k: ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
        for k, v in payload.items()
    }


async def _mcp_calls(url: str, token: str, calls: list[tuple[str, dict]]):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [await session.call_tool(name, args) for name, args in calls]


def test_read_actions_answer_the_same_over_rest_and_mcp_with_the_read_scope(
    live_server, two_books, staff, make_token
):
    token = make_token(staff["csm1"], scopes=["read"])
    ids = {"acme": two_books["acme"].pk}
    calls = [(name, _fill(payload, ids)) for name, payload in READ_CALLS]
    results = asyncio.run(
        _mcp_calls(
            f"{live_server.url}/mcp",
            token,
            calls + [(name, payload) for name, payload in WRITE_CALLS],
        )
    )
    for (name, args), result in zip(calls, results, strict=False):
        assert not result.isError, (name, mcp_json(result))
        rest = httpx.post(f"{live_server.url}/api/v1/tools/{name}/", json=args,
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
        assert rest.status_code == 200, (name, rest.text)
        a, b = dict(mcp_json(result)), rest.json()
        a.pop("as_of"), b.pop("as_of")
        assert a == b, name
    for result in results[len(calls) :]:
        assert result.isError and mcp_json(result)["code"] == "permission_denied"
