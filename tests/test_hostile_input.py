"""Hostile input answers a structured 4xx in its channel's shape, never a 500, and writes
nothing: explicit nulls for NOT NULL columns, characters PostgreSQL cannot store, bodies
too large or too deep, forged cursors. One test (or parametrised set) per class."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import signing

from cs_platform.core.api.tool_examples import request_example
from cs_platform.core.contracts import cursor_decode, cursor_encode
from cs_platform.core.contracts.schema import flat_schema
from cs_platform.core.errors import DomainError, InvalidInput
from cs_platform.core.tools import tool_registry
from customers.models import Account, Contact
from customers.services.accounts import account_update
from tests.builders import call_tool

pytestmark = pytest.mark.django_db

NOT_NULL_FIELDS = [
    "name",
    "tier",
    "industry",
    "region",
    "seats_licensed",
    "payment_status",
    "currency",
    "notes",
]


def post_raw(client, path: str, body: bytes | str, token: str | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(path, body, content_type="application/json", **headers, **extra)


def post_tool(client, name: str, payload: dict, token: str):
    return post_raw(client, f"/api/v1/tools/{name}/", json.dumps(payload), token)


def _row(account: Account) -> dict:
    return {f: getattr(account, f) for f in NOT_NULL_FIELDS}


# --- explicit null for a NOT NULL column --------------------------------------------


@pytest.mark.parametrize("field", NOT_NULL_FIELDS)
def test_null_for_not_null_column_is_refused_by_the_contract(
    client, portfolio, staff, make_token, field
):
    account = portfolio["healthy"]
    before = _row(account)
    resp = post_tool(
        client,
        "update_client_info",
        {"account_id": account.pk, field: None},
        make_token(staff["manager"]),
    )
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["code"] == "invalid_input" and body["retryable"] is False
    assert [e["field"] for e in body["details"]["errors"]] == [field]
    account.refresh_from_db()
    assert _row(account) == before


def test_not_null_fields_are_not_advertised_as_nullable():
    schema = flat_schema(tool_registry()["update_client_info"].input_model, mode="validation")
    for field in NOT_NULL_FIELDS:
        prop = schema["properties"][field]
        assert "null" not in json.dumps(prop), (field, prop)
        assert "default" not in prop
    # Nullable columns stay nullable: no domain, no owner.
    assert "null" in json.dumps(schema["properties"]["owner_id"])


def test_service_refuses_null_for_a_not_null_column_that_django_would_let_through(portfolio):
    # `notes` is blank=True: Django's validation skips its empty values, PostgreSQL does not.
    account = portfolio["healthy"]
    with pytest.raises(InvalidInput) as err:
        account_update(actor=None, account=account, changes={"notes": None})
    assert err.value.details["errors"][0] == {
        "field": "notes",
        "message": "may not be null",
        "type": "null",
    }
    account.refresh_from_db()
    assert account.notes == ""


# --- characters PostgreSQL cannot store ---------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"], ids=["nul", "lone-surrogate"])
def test_unstorable_text_in_tool_inputs_is_invalid_input(portfolio, staff, text):
    account = portfolio["healthy"]
    for name, payload, field in [
        ("list_clients", {"search": text}, "search"),
        ("update_client_info", {"account_id": account.pk, "notes": text}, "notes"),
    ]:
        with pytest.raises(InvalidInput) as err:
            call_tool(staff["manager"], name, payload)
        assert err.value.details["errors"][0]["field"] == field
        assert "cannot be stored" in err.value.details["errors"][0]["message"]
    account.refresh_from_db()
    assert account.notes == ""


def test_unstorable_text_over_rest_bodies_and_query_strings(client, portfolio, staff, make_token):
    token = make_token(staff["manager"])
    account = portfolio["healthy"]
    # JSON escapes, as a hostile client sends them: NUL and a lone surrogate.
    for escaped in ("\\u0000", "\\ud800"):
        body = f'{{"account_id": {account.pk}, "notes": "x{escaped}"}}'
        resp = post_raw(client, "/api/v1/tools/update_client_info/", body, token)
        assert resp.status_code == 400, resp.content
        assert resp.json()["details"]["errors"][0]["field"] == "notes"
        contact = (
            f'{{"account": {account.pk}, "email": "n@example.com", "first_name": "a{escaped}"}}'
        )
        resp = post_raw(client, "/api/v1/contacts/", contact, token)
        assert resp.status_code == 400, resp.content
        assert resp.json()["code"] == "invalid_input"
    resp = client.get("/api/v1/accounts/?q=a%00b", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 400, resp.content
    assert resp.json()["details"]["errors"][0]["field"] == "q"
    account.refresh_from_db()
    assert account.notes == ""
    assert not Contact.objects.filter(email="n@example.com").exists()


# --- body size and nesting, before parsing ------------------------------------------


def test_oversized_rest_body_is_413_in_the_api_shape(client, staff, make_token, settings):
    settings.REQUEST_BODY_MAX_BYTES = 10_000
    body = json.dumps({"search": "x" * 20_000})
    resp = post_raw(client, "/api/v1/tools/list_clients/", body, make_token(staff["manager"]))
    assert resp.status_code == 413
    assert resp.json() == {
        "code": "payload_too_large",
        "message": "request body larger than 10000 bytes",
        "retryable": False,
        "details": {"max_bytes": 10_000},
    }


def test_default_body_limit_is_enforced_before_django_reads_the_body(client, staff, make_token):
    body = json.dumps({"search": "x" * 3_000_000})
    resp = post_raw(client, "/api/v1/tools/list_clients/", body, make_token(staff["manager"]))
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"


def test_deeply_nested_rest_body_is_400_not_a_recursion_error(client, staff, make_token):
    body = "[" * 1000 + "]" * 1000
    resp = post_raw(client, "/api/v1/tools/list_clients/", body, make_token(staff["manager"]))
    assert resp.status_code == 400
    error = resp.json()
    assert error["code"] == "invalid_input"
    assert error["details"]["errors"][0]["type"] == "too_deep"
    # Brackets inside strings are text, not nesting.
    ok = post_tool(client, "list_clients", {"search": "[{" * 20}, make_token(staff["manager"]))
    assert ok.status_code == 200


def test_mcp_body_limits_answer_json_rpc_errors(client, staff, make_token, settings):
    token = make_token(staff["manager"])
    deep = post_raw(client, "/mcp", "[" * 1000 + "]" * 1000, token)
    assert deep.status_code == 400
    assert deep.json()["jsonrpc"] == "2.0" and deep.json()["id"] is None
    assert deep.json()["error"]["code"] == -32700
    settings.REQUEST_BODY_MAX_BYTES = 1_000
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_clients", "arguments": {"search": "x" * 2_000}},
    }
    big = post_raw(client, "/mcp", json.dumps(call), token)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == -32600


# --- cursors: signed and typed ------------------------------------------------------


def _forged(values: dict) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_tools() -> list[str]:
    return [
        name
        for name, spec in tool_registry().items()
        if "cursor" in flat_schema(spec.input_model, mode="validation")["properties"]
    ]


def _cursor_payloads(name: str, account_id: int, segment_key: str) -> list[dict]:
    """The tool's example request in each of its modes (every `action`; a segment
    instead of one account), so the mode that pages is among them."""
    spec = tool_registry()[name]
    properties = flat_schema(spec.input_model, mode="validation")["properties"]
    base = dict(request_example(spec) or {})
    base.pop("idempotency_key", None)
    if "account_id" in base:
        base["account_id"] = account_id
    variants = [base]
    for action in properties.get("action", {}).get("enum", []):
        variants += [{**base, "action": action}, {"action": action}]
    if "segment_key" in properties:
        variants.append(
            {k: v for k, v in base.items() if k != "account_id"} | {"segment_key": segment_key}
        )
    return variants


@pytest.mark.parametrize("name", _cursor_tools())
def test_forged_cursor_is_invalid_input_on_every_tool(portfolio, staff, name):
    from health.models import Segment

    segment = Segment.objects.create(
        key="hostile", name="Hostile", rules={"match": "all", "conditions": []}
    )
    forged = _forged({"name": [1], "id": "x", "key": 1, "p": {}, "a": None, "o": 1, "v": 2})
    refused = []
    for payload in _cursor_payloads(name, portfolio["healthy"].pk, segment.key):
        try:
            call_tool(staff["manager"], name, {**payload, "cursor": forged})
        except DomainError as exc:  # anything else would be a 500
            errors = exc.details.get("errors", [])
            refused += [e for e in errors if e["field"] == "cursor"]
    assert refused, f"no mode of {name} read the cursor"


def test_forged_cursor_on_rest_lists_is_400(client, staff, make_token):
    token = make_token(staff["manager"])
    forged = _forged({"o": ["name", "id"], "v": [{"a": 1}, "x"]})
    resp = client.get(f"/api/v1/accounts/?cursor={forged}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 400
    assert resp.json()["details"]["errors"][0]["field"] == "cursor"


def test_cursor_round_trip_and_tampering():
    cursor = cursor_encode({"name": "Ünïcode " * 20, "id": 7})
    assert cursor_decode(cursor, required_keys={"name": str, "id": int}) == {
        "name": "Ünïcode " * 20,
        "id": 7,
    }
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    for bad in (tampered, _forged({"name": "a", "id": 1}), "%%%", "\x00"):
        with pytest.raises(InvalidInput):
            cursor_decode(bad, required_keys=("name", "id"))
    # Signed by this server but of the wrong type (another tool's, an older format).
    other = cursor_encode({"name": "a", "id": "7"})
    with pytest.raises(InvalidInput):
        cursor_decode(other, required_keys={"name": str, "id": int})
    boolean = cursor_encode({"name": "a", "id": True})
    with pytest.raises(InvalidInput):
        cursor_decode(boolean, required_keys={"name": str, "id": int})
    # Another salt (a different signed value of this server) is not a cursor.
    with pytest.raises(InvalidInput):
        cursor_decode(signing.dumps({"name": "a", "id": 1}), required_keys=("name", "id"))


def test_openapi_documents_413_on_every_operation_with_a_body(client, staff):
    client.force_login(staff["manager"])
    schema = client.get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch"):
                error = operation["responses"].get("413")
                assert error, (method, path)
                assert error["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_longest_account_name_registers_with_its_contract(staff):
    # The contract is named after the account with a suffix: found by the REST fuzzer as
    # a 500 (value too long) for a 200-character name.
    answer = call_tool(
        staff["manager"],
        "register_client",
        {
            "name": "N" * 200,
            "tier": "smb",
            "seats_licensed": 10,
            "contact_email": "long@example.com",
            "arr": "1000",
            "contract_start": "2026-01-01",
            "contract_end": "2026-12-31",
        },
    )
    account = Account.objects.get(pk=answer["account_id"])
    assert account.name == "N" * 200
    contract = account.contracts.get()
    assert len(contract.name) == 200 and contract.name.endswith(" subscription")


def test_query_numbers_and_times_the_database_cannot_take(client, staff, make_token):
    # Found by the REST fuzzer: an id past bigint, a UTC offset past PostgreSQL's ±15:59.
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(staff['manager'])}"}
    huge = client.get("/api/v1/survey-responses/?account=99999999999999999999", **auth)
    assert huge.status_code == 400
    assert huge.json()["details"]["errors"][0]["field"] == "account"
    offset = client.get("/api/v1/survey-responses/?since=2160-09-05T21:16:29%2B20:41", **auth)
    assert offset.status_code == 200, offset.content
    early = client.get("/api/v1/survey-responses/?since=0001-01-01T00:00:00%2B05:00", **auth)
    assert early.status_code == 400
