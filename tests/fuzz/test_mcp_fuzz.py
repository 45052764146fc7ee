"""Property-based fuzzing of every MCP tool through the `/mcp` HTTP endpoint, on PostgreSQL.

Each tool's input schema, as `tools/list` publishes it, becomes a request body that
schemathesis's JSON Schema generator fills: values the schema allows (NUL characters,
nulls, bounds and formats included) and values it forbids (wrong types, missing or
extra fields). Each is sent as a JSON-RPC `tools/call` with a manager's token. The
property: never a server error — HTTP 200 and either a result (a tool's refusal is an
`isError` result with a 4xx code, never `internal_error`) or, for arguments that are not
an object, JSON-RPC -32602. Bounded: FUZZ_MCP_EXAMPLES per tool (8 by default),
derandomized so a CI run is reproducible; `make fuzz` runs it.
"""

from __future__ import annotations

import json
import os
from functools import cache

import pytest
import schemathesis
from django.db import DatabaseError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from mcp_bridge.server import mcp_tool_list

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_MCP_EXAMPLES", "8"))
SERVER_ERRORS = {"internal_error", "unavailable"}
TOOL_NAMES = sorted(tool.name for tool in mcp_tool_list())


@cache
def tool_schemas() -> schemathesis.schemas.BaseSchema:
    """The tools' input schemas as request bodies of an OpenAPI 3.1 document (whose
    schemas are JSON Schema), only so schemathesis can generate them."""
    paths = {
        f"/{tool.name}": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": tool.inputSchema}},
                },
                "responses": {"200": {"description": "answer"}},
            }
        }
        for tool in mcp_tool_list()
    }
    document = {"openapi": "3.1.0", "info": {"title": "MCP tools", "version": "1"}, "paths": paths}
    return schemathesis.openapi.from_dict(document)


def arguments(name: str) -> st.SearchStrategy:
    operation = tool_schemas()[f"/{name}"]["POST"]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    # A body that is not JSON at all (negative generation's bytes) is not arguments.
    return cases.map(lambda case: case.body).filter(lambda body: _is_json(body))


def _is_json(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


@pytest.fixture
def mcp_call(client, staff, make_token, portfolio):
    token = make_token(staff["manager"])

    def call(name: str, args):
        params = {"name": name, "arguments": args}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
        # A savepoint per call, as each request has its own transaction in production:
        # one server error does not abort the next calls' queries.
        answer = None
        try:
            with transaction.atomic():
                answer = client.post(
                    "/mcp",
                    json.dumps(body),
                    content_type="application/json",
                    HTTP_ACCEPT="application/json, text/event-stream",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
        except DatabaseError:
            if answer is None:
                raise
        return answer

    return call


def with_real_accounts(args: dict, account_id: int) -> dict:
    """Half the calls name an account that exists, so they get past the lookup."""
    out = dict(args)
    for key, value in args.items():
        if key.endswith("account_id") and isinstance(value, int):
            out[key] = account_id
        elif key.endswith("account_ids") and isinstance(value, list) and value:
            out[key] = [account_id]
    return out


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_tool_never_answers_a_server_error(mcp_call, portfolio, name):
    account_ids = [portfolio[k].pk for k in ("healthy", "declining", "other_csm")]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(args=arguments(name), real=st.booleans(), pick=st.integers(0, 2))
    def one_call(args, real: bool, pick: int) -> None:
        if real and isinstance(args, dict):
            args = with_real_accounts(args, account_ids[pick])
        resp = mcp_call(name, args)
        assert resp.status_code == 200, (args, resp.status_code, resp.content[:300])
        answer = resp.json()
        if "error" in answer:  # only for arguments that are not an object
            assert not isinstance(args, dict), (args, answer)
            assert answer["error"]["code"] == -32602, (args, answer)
            return
        result = answer["result"]
        if result.get("isError"):
            # The error body is the JSON text block (structuredContent only on request).
            error = result.get("structuredContent") or json.loads(result["content"][0]["text"])
            assert error.get("code"), (args, result)
            assert error["code"] not in SERVER_ERRORS, (args, error)

    one_call()
