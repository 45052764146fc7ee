"""What the processes logged while the other operations tests ran (this module runs after
them): JSON lines that carry the request id, actor id, tool and task, and never a
personal e-mail address, an API token or another secret."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from cs_platform.core import clock
from tests.operations.fixtures import Stack
from tests.operations.topology import wait_for

pytestmark = pytest.mark.operations

REQUEST_ID = "ops-logs-0123456789"
LEAK_EMAIL = "leak.check.person@example.org"


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_log_lines_are_json_with_request_actor_tool_and_task(stack: Stack):
    body = {"account_id": 3}
    response = stack.http(
        "POST", "/api/v1/tools/get_client_overview/", json=body,
        headers={"X-Request-ID": REQUEST_ID},
    )  # fmt: skip
    assert response.status_code == 200 and response.headers["X-Request-ID"] == REQUEST_ID
    minted = stack.http("GET", "/api/v1/accounts/3/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", minted)

    def ours() -> list[dict]:
        return [r for r in _json_lines(stack.processes["web"].tail(5_000_000))
                if r.get("request_id") == REQUEST_ID]  # fmt: skip

    lines = wait_for(lambda: len(ours()) >= 2 and ours(), 10, "the request's log lines")
    call = next(r for r in lines if r.get("event") == "tool_call")
    assert call["tool"] == "get_client_overview" and call["outcome"] == "ok"
    assert call["channel"] == "rest" and isinstance(call["actor_id"], int)
    request = next(r for r in lines if r.get("event") == "request")
    assert request["route"] == "/api/v1/tools/get_client_overview/"
    assert request["status"] == 200 and request["actor_id"] == call["actor_id"]
    assert {"time", "level", "logger", "message"} <= set(request)

    worker = _json_lines(stack.processes["sync"].tail(5_000_000))
    in_task = [r for r in worker if r.get("task") == "integrations.sync_connection"]
    assert in_task and all(r.get("task_id") for r in in_task)


def test_no_log_holds_an_email_address_a_token_or_a_secret(stack: Stack):
    # Hostile and failing calls whose input holds personal data: refused, and not logged.
    today = clock.today()
    refused = stack.tool(
        "register_client",
        {"name": "Leak check", "tier": "smb", "seats_licensed": 5, "arr": "100.00",
         "contract_start": str(today), "contract_end": str(today - timedelta(days=1)),
         "contact_email": LEAK_EMAIL},
    )  # fmt: skip
    assert refused.status_code == 400
    assert stack.http("GET", "/api/v1/accounts/", token=f"csp_deadbeef_{LEAK_EMAIL}").status_code
    db = stack.db()
    emails = {row[0].lower() for row in db.execute(
        "SELECT email FROM customers_contact WHERE email <> '' UNION "
        "SELECT email FROM auth_user WHERE email <> ''"
    )}  # fmt: skip
    db.close()
    assert len(emails) > 100
    logs = stack.logs().lower()
    assert len(logs) > 10_000
    leaked = sorted(e for e in emails | {LEAK_EMAIL} if e in logs)
    assert leaked == []
    assert "csp_" not in logs  # the API token prefix (secrets are csp_<id>_<secret>)
    for secret in [*stack.tokens, stack.app.metrics_token, stack.app.secret_key]:
        assert secret.lower() not in logs
