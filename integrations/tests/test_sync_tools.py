"""trigger_sync and get_sync_status through invoke_tool, against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import InvalidInput, NotFound, PermissionDenied
from cs_platform.core.models import Role, StaffProfile
from cs_platform.core.tools import invoke_tool
from integrations import resilience
from integrations.models import Connection, SupportTicket, SyncRun
from integrations.tests.sync_support import make_connection, seed_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    made = {}
    for name, role in (("boss", Role.MANAGER), ("csm", Role.CSM), ("viewer", Role.VIEWER)):
        user = get_user_model().objects.create_user(username=name, password=None)
        StaffProfile.objects.create(user=user, role=role)
        made[name] = user
    return made


def call(user, name, payload):
    return invoke_tool(name, actor_for_user(user, channel="mcp"), payload)


def test_trigger_sync_queues_one_run_that_a_worker_completes(
    sandbox, users, django_capture_on_commit_callbacks, audit_chain_held
):
    seed_accounts(range(1, 21))
    conn = make_connection(sandbox, "zendesk", page_size=50)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        out = call(users["boss"], "trigger_sync", {"connection_id": conn.pk, "stream": "tickets"})
        repeat = call(users["boss"], "trigger_sync", {"connection_id": conn.pk})

    assert out["queued"] is True and out["run"]["status"] == "queued"
    assert repeat["queued"] is False and repeat["run"]["id"] == out["run"]["id"]
    assert SyncRun.objects.filter(connection=conn).count() == 1
    assert len(callbacks) == 1  # one task sent, for the one run
    assert AuditEvent.objects.filter(action="tool.trigger_sync").count() == 2
    assert not SupportTicket.objects.exists()  # nothing ran inside the request

    callbacks[0]()  # the worker (eager here) picks the task up

    run = SyncRun.objects.get(pk=out["run"]["id"])
    assert (run.status, run.stream, run.trigger) == ("succeeded", "tickets", "manual")
    assert run.task_id == out["run"]["task_id"] != ""
    assert run.created == SupportTicket.objects.filter(connection=conn).count() > 0


def test_only_managers_trigger_syncs(sandbox, users):
    conn = make_connection(sandbox, "zendesk")
    for who in ("csm", "viewer"):
        with pytest.raises(PermissionDenied):
            call(users[who], "trigger_sync", {"connection_id": conn.pk})
    assert not SyncRun.objects.exists()
    assert not AuditEvent.objects.exists()


def test_trigger_sync_rejects_bad_input_and_writes_nothing(sandbox, users):
    conn = make_connection(sandbox, "intercom")
    with pytest.raises(InvalidInput) as err:
        call(users["boss"], "trigger_sync", {"connection_id": conn.pk, "stream": "tickets"})
    assert err.value.details["errors"][0]["field"] == "stream"
    assert "contacts, conversations" in err.value.details["errors"][0]["message"]
    with pytest.raises(NotFound):
        call(users["boss"], "trigger_sync", {"connection_id": conn.pk + 100})
    with pytest.raises(InvalidInput) as err:
        call(users["boss"], "trigger_sync", {"connection_id": 0, "full": True})
    assert {e["field"] for e in err.value.details["errors"]} == {"connection_id", "full"}
    sendgrid = make_connection(sandbox, "sendgrid")
    with pytest.raises(InvalidInput, match="no sync streams"):
        call(users["boss"], "trigger_sync", {"connection_id": sendgrid.pk})
    assert not SyncRun.objects.exists() and not AuditEvent.objects.exists()


def _runs(conn: Connection, n: int) -> None:
    start = clock.now() - timedelta(hours=n)
    for i in range(n):
        SyncRun.objects.create(
            connection=conn, stream="tickets", status="succeeded", trigger="schedule",
            started_at=start + timedelta(hours=i), finished_at=start + timedelta(hours=i),
            fetched=i, created=i, cursor_after={"tickets": {"after_cursor": f"c{i}"}},
        )  # fmt: skip


def test_get_sync_status_reports_runs_cursors_breakers_and_due_time(sandbox, users):
    zendesk = make_connection(sandbox, "zendesk")
    _runs(zendesk, 7)
    failed = SyncRun.objects.create(
        connection=zendesk, stream="tickets", status="failed", error_code="provider_timeout",
        started_at=clock.now(), finished_at=clock.now(),
    )  # fmt: skip
    mixpanel = make_connection(sandbox, "mixpanel")
    Connection.objects.filter(pk=mixpanel.pk).update(cursors={"events": {"last_day": "2026-01-01"}})
    resilience.configure_breaker("zendesk", fail_max=1)
    try:
        with pytest.raises(Exception):  # noqa: B017 - any provider error opens the breaker
            resilience.provider_request("zendesk", "GET", "http://127.0.0.1:9/", max_attempts=1)
        out = call(users["csm"], "get_sync_status", {"runs": 3})
    finally:
        resilience.configure_breaker("zendesk", fail_max=resilience.DEFAULT_FAIL_MAX)
        resilience.reset_breaker("zendesk")

    by_id = {c["id"]: c for c in out["connections"]}
    zd = by_id[zendesk.pk]
    assert [r["id"] for r in zd["runs"]][0] == failed.pk and len(zd["runs"]) == 3
    assert zd["runs"][0]["error_code"] == "provider_timeout"
    assert zd["runs"][1]["cursor_after"] == {"tickets": {"after_cursor": "c6"}}
    assert zd["active_run"] is None
    assert zd["next_due_at"].startswith(
        (failed.started_at + timedelta(minutes=15)).isoformat()[:16]
    )
    assert by_id[mixpanel.pk]["cursors"] == {"events": {"last_day": "2026-01-01"}}
    assert by_id[mixpanel.pk]["runs"] == [] and by_id[mixpanel.pk]["next_due_at"] is not None
    assert "credentials" not in str(out)
    breakers = {b["provider"]: b for b in out["breakers"]}
    assert set(breakers) == {"zendesk", "mixpanel"}
    assert breakers["zendesk"]["state"] == "open" and breakers["mixpanel"]["state"] == "closed"


def test_get_sync_status_pages_with_constant_queries(sandbox, users):
    conns = [make_connection(sandbox, p) for p in ("zendesk", "intercom", "mixpanel")]
    conns[1].name = "second"
    _runs(conns[0], 2)

    with CaptureQueriesContext(db) as small:
        first = call(users["viewer"], "get_sync_status", {"limit": 2})
    for conn in conns:
        _runs(conn, 6)
    with CaptureQueriesContext(db) as large:
        call(users["viewer"], "get_sync_status", {"limit": 2})
    assert len(large) == len(small)

    assert [c["id"] for c in first["connections"]] == [conns[0].pk, conns[1].pk]
    assert first["page"]["has_next"] is True
    rest = call(
        users["viewer"], "get_sync_status", {"limit": 2, "cursor": first["page"]["next_cursor"]}
    )
    assert [c["id"] for c in rest["connections"]] == [conns[2].pk]
    assert rest["page"] == {"next_cursor": None, "has_next": False, "limit": 2}
    single = call(users["viewer"], "get_sync_status", {"connection_id": conns[2].pk})
    assert [c["id"] for c in single["connections"]] == [conns[2].pk]
    with pytest.raises(NotFound):
        call(users["viewer"], "get_sync_status", {"connection_id": conns[2].pk + 50})
