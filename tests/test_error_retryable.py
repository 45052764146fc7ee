"""`retryable` is true only when a retry can succeed: a transient database failure or an
idempotency race another call won; never for a bug or a constraint violation, which
repeat. Checked on MCP (the official client), REST, the idempotency path and the
classification of real driver errors."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import httpx
import psycopg
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from cs_platform.core.errors import (
    database_error_is_transient,
    integrity_error_is_unique_race,
    unexpected_error,
)
from cs_platform.core.models import IdempotencyRecord
from customers.models import Account
from tests.builders import mcp_json

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def _constraint_violation(user) -> None:
    """A real CHECK violation from PostgreSQL: what a bug that writes bad rows meets."""
    with transaction.atomic():
        IdempotencyRecord.objects.create(user=user, tool="t", key="", request_hash="", response={})


def _lost_connection() -> None:
    """A real connection failure, wrapped by Django as it wraps every driver error."""
    with connection.wrap_database_errors:
        psycopg.connect(UNREACHABLE)


# --- the classification, on real driver errors --------------------------------------


@pytest.mark.django_db
def test_constraint_violations_repeat_and_only_unique_ones_are_races(staff):
    with pytest.raises(IntegrityError) as check:
        _constraint_violation(staff["csm1"])
    Account.objects.create(name="A", domain="race.test")
    with pytest.raises(IntegrityError) as unique, transaction.atomic():
        Account.objects.create(name="B", domain="race.test")
    assert not database_error_is_transient(check.value)
    assert not database_error_is_transient(unique.value)
    assert not integrity_error_is_unique_race(check.value)
    assert integrity_error_is_unique_race(unique.value)
    assert unexpected_error(check.value).as_dict() == {
        "code": "internal_error",
        "message": "The request failed unexpectedly; the error was logged.",
        "retryable": False,
        "details": {},
    }


@pytest.mark.django_db
def test_a_statement_timeout_repeats_a_lost_connection_does_not():
    with pytest.raises(OperationalError) as timeout, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")
    with pytest.raises(OperationalError) as lost:
        _lost_connection()
    assert not database_error_is_transient(timeout.value)
    assert database_error_is_transient(lost.value)
    assert unexpected_error(lost.value).as_dict()["retryable"] is True
    assert unexpected_error(lost.value).as_dict()["code"] == "unavailable"


def test_a_busy_sqlite_file_is_transient_a_missing_table_is_not(tmp_path):
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (a)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as missing:
        other.execute("SELECT * FROM nope")
    holder.rollback()
    assert database_error_is_transient(busy.value)
    assert not database_error_is_transient(missing.value)
    assert not database_error_is_transient(ZeroDivisionError())


# --- the channels ---------------------------------------------------------------------


async def _mcp_call(url: str, token: str, name: str, arguments: dict):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool(name, arguments)


@pytest.mark.django_db(transaction=True)
def test_mcp_reports_a_bug_as_not_retryable_and_a_lost_database_as_retryable(
    live_server, staff, make_token, monkeypatch
):
    import mcp_bridge.server

    token = make_token(staff["csm1"], scopes=["read"])
    failures = {"bug": lambda: _constraint_violation(staff["csm1"]), "lost": _lost_connection}
    seen = {}
    for kind, fail in failures.items():
        monkeypatch.setattr(mcp_bridge.server, "invoke_tool", lambda *a, fail=fail: fail())
        result = asyncio.run(
            _mcp_call(f"{live_server.url}/mcp", token, "list_clients", {"limit": 1})
        )
        assert result.isError
        seen[kind] = (mcp_json(result)["code"], mcp_json(result)["retryable"])
    assert seen == {"bug": ("internal_error", False), "lost": ("unavailable", True)}


@pytest.mark.django_db
def test_rest_answers_unexpected_errors_in_its_json_shape_with_the_right_retryable(
    client, staff, make_token, monkeypatch
):
    import cs_platform.core.api.tool_views

    token = make_token(staff["csm1"], scopes=["read"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    failures = {"bug": lambda: _constraint_violation(staff["csm1"]), "lost": _lost_connection}
    seen = {}
    for kind, fail in failures.items():
        monkeypatch.setattr(
            cs_platform.core.api.tool_views, "invoke_tool", lambda *a, fail=fail: fail()
        )
        answer = client.post(
            "/api/v1/tools/list_clients/", {"limit": 1}, content_type="application/json", **headers
        )
        body = answer.json()
        seen[kind] = (answer.status_code, body["code"], body["retryable"])
        assert set(body) == {"code", "message", "retryable", "details"}
    assert seen == {"bug": (500, "internal_error", False), "lost": (503, "unavailable", True)}


# --- the idempotency key --------------------------------------------------------------


def _update(client, token: str, account: Account, key: str):
    return client.post(
        "/api/v1/tools/update_client_info/",
        {"account_id": account.pk, "region": "EMEA", "idempotency_key": key},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.django_db(transaction=True)
def test_an_idempotency_race_lost_to_a_committed_call_is_retryable(
    client, staff, make_token, monkeypatch
):
    import audit.services

    account = Account.objects.create(name="Race", domain="race.test", owner=staff["csm1"])
    token = make_token(staff["csm1"], scopes=["read", "write"])
    record = audit.services.audit_event_record
    others: list[threading.Thread] = []

    def the_other_call_commits_first(**kwargs):
        # Another request with the same key commits while this one is in its transaction
        # (once: the service's event and the tool call's event both pass through here).
        if others:
            return record(**kwargs)

        def commit() -> None:
            IdempotencyRecord.objects.create(
                user=staff["csm1"], tool="update_client_info", key="race-key-1",
                request_hash="x", response={"from": "the other call"},
            )  # fmt: skip
            connection.close()

        thread = threading.Thread(target=commit)
        others.append(thread)
        thread.start()
        thread.join()
        return record(**kwargs)

    monkeypatch.setattr(audit.services, "audit_event_record", the_other_call_commits_first)
    answer = _update(client, token, account, "race-key-1")
    body = answer.json()
    assert (answer.status_code, body["code"], body["retryable"]) == (409, "conflict", True)
    account.refresh_from_db()
    assert account.region != "EMEA"  # ours rolled back


@pytest.mark.django_db
def test_a_constraint_violation_storing_the_idempotency_record_is_not_retryable(
    client, staff, make_token, monkeypatch
):
    account = Account.objects.create(name="Bug", domain="bug.test", owner=staff["csm1"])
    token = make_token(staff["csm1"], scopes=["read", "write"])
    create = IdempotencyRecord.objects.create
    # A bug in what is stored (here: an empty key, which a CHECK refuses).
    monkeypatch.setattr(
        IdempotencyRecord.objects, "create", lambda **kwargs: create(**{**kwargs, "key": ""})
    )
    answer = _update(client, token, account, "bug-key-2")
    body = answer.json()
    assert (answer.status_code, body["code"], body["retryable"]) == (500, "internal_error", False)
    account.refresh_from_db()
    assert account.region != "EMEA"
