"""Provider clients against the sandbox (ticket mirroring, mail send, auth failures),
the CLI command, the beat task and the heartbeat."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from cs_platform.core import clock
from integrations.clients import OutgoingEmail, client_for_connection
from integrations.errors import ProviderAuthError, ProviderClientError
from integrations.models import Connection, SupportTicket, SyncRun
from integrations.services.syncs.heartbeat import Heartbeat
from integrations.tasks import sync_due_connections
from integrations.tests.sync_support import make_connection, sandbox_tickets, seed_accounts


@pytest.mark.django_db
def test_zendesk_client_creates_and_updates_tickets_for_mirroring(sandbox):
    client = client_for_connection(make_connection(sandbox, "zendesk"))
    created = client.ticket_create(
        {
            "subject": "Exports fail",
            "comment": {"body": "Since this morning every export fails."},
            "requester": {"email": "alex.0@" + sandbox.dataset.company(1).domain},
            "priority": "high",
        }
    )
    assert created["id"] and created["status"] == "new" and created["priority"] == "high"
    assert created["organization_id"] == int(sandbox.dataset.company(1).zendesk_org_id)
    updated = client.ticket_update(created["id"], {"status": "pending"})
    assert updated["status"] == "pending" and updated["updated_at"] >= created["updated_at"]
    stored = {t["id"]: t for t in sandbox_tickets(sandbox)}[created["id"]]
    assert stored["status"] == "pending"
    with pytest.raises(ProviderClientError) as err:
        client.ticket_update(created["id"], {"status": "exploded"})
    assert err.value.status == 422


@pytest.mark.django_db
def test_sendgrid_client_returns_the_message_id_the_provider_assigned(sandbox):
    client = client_for_connection(make_connection(sandbox, "sendgrid"))
    message_id = client.mail_send(
        OutgoingEmail(
            to_email="sam.1@acme.test",
            subject="Your quarterly review",
            text="Hello Sam",
            from_email="csm@ourcompany.test",
            custom_args={"email_message_id": "42"},
        )
    )
    (sent,) = sandbox.sendgrid_sent()
    assert sent["message_id"] == message_id and len(message_id) == 22
    assert sent["to"] == ["sam.1@acme.test"]
    assert sent["body"]["custom_args"] == {"email_message_id": "42"}


@pytest.mark.django_db
def test_wrong_credentials_fail_the_run_as_auth_failed_without_retries(sandbox):
    seed_accounts(range(1, 3))
    conn = make_connection(sandbox, "intercom")
    conn.credentials = {"access_token": "revoked"}
    conn.save(update_fields=["credentials"])
    out = io.StringIO()
    with pytest.raises(CommandError, match="provider_auth_failed"):
        call_command("sync_connection", conn.pk, stdout=out)
    assert sandbox.requests_to("intercom") == 1  # a 401 is never retried
    run = SyncRun.objects.get(connection=conn)
    assert (run.status, run.error_code) == ("failed", "provider_auth_failed")
    with pytest.raises(ProviderAuthError):
        client_for_connection(conn).search_page("contacts", updated_since=None)


@pytest.mark.django_db
def test_sync_connection_command_prints_each_committed_page(sandbox):
    seed_accounts(range(1, 21))
    conn = make_connection(sandbox, "zendesk", page_size=30)
    out = io.StringIO()
    call_command("sync_connection", conn.pk, stream="tickets", stdout=out)
    lines = out.getvalue().splitlines()
    stored = SupportTicket.objects.filter(connection=conn).count()
    assert lines[0].startswith("tickets page 1: fetched 30,")
    assert lines[-1].startswith(f"run {SyncRun.objects.get().pk} succeeded")
    assert f"created {stored}," in lines[-1]
    with pytest.raises(CommandError, match="stream"):
        call_command("sync_connection", conn.pk, stream="events")


@pytest.mark.django_db
def test_beat_queues_exactly_the_due_connections(sandbox, django_capture_on_commit_callbacks):
    fresh = make_connection(sandbox, "zendesk")
    SyncRun.objects.create(
        connection=fresh, stream="all", status="succeeded", started_at=clock.now()
    )
    due = make_connection(sandbox, "intercom")
    SyncRun.objects.create(
        connection=due,
        stream="all",
        status="succeeded",
        started_at=clock.now() - timedelta(minutes=16),
    )
    never = make_connection(sandbox, "mixpanel")
    make_connection(sandbox, "sendgrid")  # nothing to pull
    Connection.objects.create(
        provider="zendesk", name="off", base_url="https://x.zendesk.com", enabled=False,
        credentials={"email": "a@b.io", "api_token": "t"},
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = sync_due_connections.apply().get()

    queued = SyncRun.objects.filter(pk__in=result["queued_runs"])
    assert {r.connection_id for r in queued} == {due.pk, never.pk}
    assert all(r.status == "queued" and r.trigger == "schedule" for r in queued)
    assert len(callbacks) == 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = sync_due_connections.apply().get()
    assert again == {"queued_runs": []} and callbacks == []  # already queued


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_advances_while_a_run_works(sandbox):
    conn = make_connection(sandbox, "zendesk")
    started = clock.now() - timedelta(minutes=5)
    run = SyncRun.objects.create(
        connection=conn, stream="tickets", status="running", started_at=started,
        heartbeat_at=started,
    )  # fmt: skip
    with Heartbeat(run.pk, 0.05):
        time.sleep(0.4)
    run.refresh_from_db()
    assert run.heartbeat_at > clock.now() - timedelta(seconds=2)
