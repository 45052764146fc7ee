"""`manage.py stdio_server` driven by the official `mcp` client, as a desktop client runs it:
a child process speaking MCP over its stdin/stdout, authenticated by an API token."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from django.db import connection
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from cs_platform.core.tools import tool_registry
from tests.builders import mcp_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # child processes
REPO = Path(__file__).resolve().parent.parent


def _server_env(token: str) -> dict[str, str]:
    """The child uses this test's database (committed rows: a transactional test)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        DATABASE_URL=url if connection.vendor == "postgresql" else "",
        SQLITE_PATH=str(db["NAME"]) if connection.vendor == "sqlite" else "",
        DB_POOL="false",
        CS_PLATFORM_TOKEN=token,
        LOG_LEVEL="WARNING",
    )
    return env


async def _run(token: str, calls: list[tuple[str, dict]]):
    params = StdioServerParameters(
        command=sys.executable,
        args=[str(REPO / "manage.py"), "stdio_server"],
        env=_server_env(token),
        cwd=str(REPO),
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await asyncio.wait_for(session.initialize(), timeout=60)
            tools = await session.list_tools()
            results = [await session.call_tool(name, args) for name, args in calls]
            return tools, results


def test_stdio_server_lists_every_tool_and_answers_in_the_tokens_book(portfolio, staff, make_token):
    token = make_token(staff["csm1"], scopes=["read"])
    own, other = portfolio["declining"], portfolio["other_csm"]
    tools, (mine, theirs, bad) = asyncio.run(
        _run(
            token,
            [
                ("get_client_overview", {"account_id": own.pk}),
                ("get_client_overview", {"account_id": other.pk}),
                ("get_client_overview", {"account_id": 0}),
            ],
        )
    )
    assert set(tool_registry()) <= {t.name for t in tools.tools}
    assert not mine.isError
    assert mcp_json(mine)["account_id"] == own.pk
    assert mcp_json(mine)["name"] == own.name
    assert mcp_json(mine)["open_tickets"]["total"] == 3
    # Another CSM's account is out of this token's book: not found, as over HTTP.
    assert theirs.isError and "not_found" in theirs.content[0].text
    assert bad.isError and "account_id" in bad.content[0].text


def test_stdio_server_refuses_to_start_without_a_valid_token(db):
    import subprocess

    done = subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "stdio_server"],
        env=_server_env("csp_not-a-real-token"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert "A valid API token is required" in done.stderr
