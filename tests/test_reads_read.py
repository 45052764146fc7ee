"""Reads read: listing churn risk needs only the read scope, although it stores the
predictions it has to compute (the system's write, not the caller's). Checked with the
official MCP client and over REST with a viewer's token."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from cs_platform.core.tools import tool_registry
from health.models import ChurnPrediction
from tests.builders import mcp_json

# Tools the read scope may call although they store what they compute.
SYSTEM_WRITING_READS = {"identify_churn_risk"}


def test_the_reads_that_store_are_named():
    found = {n for n, s in tool_registry().items() if s.permission == "read" and s.mutating}
    assert found == SYSTEM_WRITING_READS


async def _calls(url: str, token: str):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                churn = await session.call_tool("identify_churn_risk", {"min_risk_level": "low"})
                rescore = await session.call_tool(
                    "calculate_health_score", {"account_id": ACCOUNT_ID[0]}
                )
                return churn, rescore


ACCOUNT_ID: list[int] = []


@pytest.mark.django_db(transaction=True)
def test_read_scope_token_lists_churn_risk_over_mcp(live_server, portfolio, staff, make_token):
    ACCOUNT_ID[:] = [portfolio["healthy"].pk]
    assert not ChurnPrediction.objects.exists()
    token = make_token(staff["csm1"], scopes=["read"])
    churn, rescore = asyncio.run(_calls(f"{live_server.url}/mcp", token))
    assert not churn.isError, mcp_json(churn)
    listed = {row["account_id"] for row in mcp_json(churn)["accounts"]}
    mine = {portfolio["healthy"].pk, portfolio["declining"].pk}
    assert listed <= mine and portfolio["declining"].pk in listed
    # The predictions it computed were stored, for the caller's book only.
    stored = set(ChurnPrediction.objects.values_list("account_id", flat=True))
    assert stored == mine
    # The explicit recompute stays a write.
    assert rescore.isError and mcp_json(rescore)["code"] == "permission_denied"


@pytest.mark.django_db
def test_viewer_lists_churn_risk_over_rest(client, portfolio, staff, make_token):
    token = make_token(staff["viewer"], scopes=["read"])
    resp = client.post(
        "/api/v1/tools/identify_churn_risk/",
        {"min_risk_level": "low"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert resp.status_code == 200, resp.content
    assert ChurnPrediction.objects.filter(account=portfolio["other_csm"]).exists()
    denied = client.post(
        "/api/v1/tools/score_risk_factors/",
        {"account_id": portfolio["healthy"].pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert denied.status_code == 403
