"""handle_support_ticket: SLA targets and breaches, status rules, Zendesk mirroring
after commit against the sandbox over HTTP (and what happens when Zendesk fails).

Tests that mirror commit for real (``LIVE``): the delivery runs on commit, as it does in
a worker (inline here, Celery being eager), outside any transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, NotFound
from integrations.models import OutboxMessage, SupportTicket, TicketComment
from integrations.services.ticket_sla import sla_state, status_transition_allowed
from integrations.tasks import outbox_redrive
from tests.builders import call_tool

pytestmark = pytest.mark.django_db
LIVE = pytest.mark.django_db(transaction=True)
T = (3.05, 10)


def ticket_tool(user, **payload):
    return call_tool(user, "handle_support_ticket", payload)


def zendesk_tickets(sandbox) -> dict[int, dict]:
    listing = requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=T).json()
    return {t["id"]: t for t in listing["tickets"]}


def zendesk_comments(sandbox, ticket_id) -> list[dict]:
    c = sandbox.credentials
    response = requests.get(
        f"{sandbox.base_url('zendesk')}/api/v2/tickets/{ticket_id}/comments.json",
        auth=(f"{c.zendesk_email}/token", c.zendesk_api_token),
        timeout=T,
    )
    return response.json()["comments"]


@LIVE
def test_create_answers_pending_and_the_ticket_is_mirrored_after_commit(
    staff, two_books, sandbox, zendesk_connection
):
    before = set(zendesk_tickets(sandbox))
    out = ticket_tool(
        staff["csm1"],
        action="create",
        account_id=two_books["acme"].pk,
        subject="Exports fail since the upgrade",
        description="Every CSV export ends with error 500.",
        priority="urgent",
        tags=["exports"],
    )

    ticket = out["ticket"]
    delivery = OutboxMessage.objects.get(ticket_id=ticket["id"])
    # The answer was made before Zendesk was called, and says so.
    assert out["mirror"] == {"delivery_id": delivery.pk, "status": "pending"}
    assert ticket["mirror"] == {
        "provider": "zendesk",
        "external_id": None,
        "status": "pending",
        "error": None,
    }
    assert ticket["status"] == "new" and ticket["priority"] == "urgent"
    assert ticket["sla"]["first_response_target_minutes"] == 60
    assert ticket["sla"]["resolution_target_minutes"] == 480
    opened = datetime.fromisoformat(ticket["opened_at"])
    due = datetime.fromisoformat(ticket["sla"]["first_response_due_at"])
    assert due - opened == timedelta(hours=1) and ticket["sla"]["breached"] is False

    created = set(zendesk_tickets(sandbox)) - before
    assert len(created) == 1
    remote = zendesk_tickets(sandbox)[created.pop()]
    got = ticket_tool(staff["csm1"], action="get", ticket_id=ticket["id"])["ticket"]
    assert got["mirror"] == {
        "provider": "zendesk",
        "external_id": str(remote["id"]),
        "status": "synced",
        "error": None,
    }
    assert remote["subject"] == "Exports fail since the upgrade"
    assert remote["priority"] == "urgent" and remote["tags"] == ["exports"]
    assert remote["external_id"] == f"cs-platform-ticket-{ticket['id']}"
    assert remote["organization_id"] == 4242
    stored = SupportTicket.objects.get(pk=ticket["id"])
    assert stored.connection == zendesk_connection and stored.external_id == str(remote["id"])
    assert stored.contact == two_books["ada"]  # the primary contact requested it
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider_id) == (
        "succeeded",
        1,
        str(remote["id"]),
    )
    assert AuditEvent.objects.filter(action="ticket.created", object_id=str(stored.pk)).exists()
    assert AuditEvent.objects.filter(action="ticket.mirrored", object_id=str(stored.pk)).exists()


@LIVE
def test_zendesk_down_keeps_the_ticket_pending_and_a_later_attempt_syncs_it(
    staff, two_books, sandbox, zendesk_connection, travel
):
    before = set(zendesk_tickets(sandbox))
    sandbox.set_fault("zendesk", "500")  # until reset
    out = ticket_tool(
        staff["csm1"], action="create", account_id=two_books["acme"].pk, subject="Login loop"
    )

    assert out["ticket"]["mirror"]["status"] == "pending"
    stored = SupportTicket.objects.get(pk=out["ticket"]["id"])
    assert stored.subject == "Login loop" and stored.external_id is None
    # The attempt failed; the ticket waits for the next one and says why.
    got = ticket_tool(staff["csm1"], action="get", ticket_id=stored.pk)["ticket"]["mirror"]
    assert got["status"] == "pending" and got["error"].startswith("provider_server_error")
    delivery = OutboxMessage.objects.get(pk=out["mirror"]["delivery_id"])
    assert (delivery.status, delivery.attempts, delivery.error_code) == (
        "pending",
        1,
        "provider_server_error",
    )
    assert delivery.next_attempt_at > clock.now()
    # The create carries an idempotency key, so the helper's retry was safe to make.
    assert sandbox.requests_to("zendesk") == 2

    sandbox.reset_faults()
    travel(delivery.next_attempt_at + timedelta(minutes=2))
    outbox_redrive.delay()
    got = ticket_tool(staff["csm1"], action="get", ticket_id=stored.pk)["ticket"]["mirror"]
    assert got["status"] == "synced" and got["error"] is None
    assert len(set(zendesk_tickets(sandbox)) - before) == 1
    remote = zendesk_tickets(sandbox)[int(got["external_id"])]
    assert remote["subject"] == "Login loop"


@LIVE
def test_a_zendesk_4xx_fails_at_once_and_retry_mirror_sends_again(
    staff, two_books, sandbox, zendesk_connection
):
    good = dict(zendesk_connection.credentials)
    zendesk_connection.credentials = {**good, "api_token": "revoked"}
    zendesk_connection.save()
    out = ticket_tool(
        staff["csm1"], action="create", account_id=two_books["acme"].pk, subject="Slow dashboards"
    )

    stored = SupportTicket.objects.get(pk=out["ticket"]["id"])
    assert stored.mirror_status == "failed" and stored.external_id is None
    assert stored.mirror_error.startswith("provider_auth_failed")
    delivery = OutboxMessage.objects.get(pk=out["mirror"]["delivery_id"])
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert sandbox.requests_to("zendesk") == 1  # a 4xx is never repeated
    assert AuditEvent.objects.filter(action="ticket.mirror_failed").count() == 1

    zendesk_connection.credentials = good
    zendesk_connection.save()
    retried = ticket_tool(staff["csm1"], action="retry_mirror", ticket_id=stored.pk)
    assert retried["mirror"]["status"] == "pending"
    assert retried["mirror"]["delivery_id"] != delivery.pk
    stored.refresh_from_db()
    assert stored.mirror_status == "synced" and stored.mirror_error == ""
    assert zendesk_tickets(sandbox)[int(stored.external_id)]["subject"] == "Slow dashboards"


@LIVE
def test_connection_refused_is_retried_later_not_lost(
    staff, two_books, sandbox, zendesk_connection
):
    zendesk_connection.base_url = "http://127.0.0.1:9/zendesk"  # nothing listens there
    zendesk_connection.save()
    out = ticket_tool(
        staff["csm1"], action="create", account_id=two_books["acme"].pk, subject="Slow dashboards"
    )
    stored = SupportTicket.objects.get(pk=out["ticket"]["id"])
    assert stored.mirror_status == "pending"
    assert stored.mirror_error.startswith("provider_connection_error")
    delivery = OutboxMessage.objects.get(pk=out["mirror"]["delivery_id"])
    assert delivery.status == "pending" and delivery.maybe_sent is False  # refused: never sent


@LIVE
def test_update_validates_status_records_first_response_and_mirrors(
    staff, two_books, sandbox, zendesk_connection
):
    created = ticket_tool(
        staff["csm1"], action="create", account_id=two_books["acme"].pk, subject="SSO broken"
    )["ticket"]
    ticket_id = created["id"]
    external_id = SupportTicket.objects.get(pk=ticket_id).external_id
    assert external_id is not None

    with pytest.raises(InvalidInput) as err:
        ticket_tool(staff["csm1"], action="update", ticket_id=ticket_id, status="closed")
    assert err.value.details["errors"][0]["field"] == "status"
    assert SupportTicket.objects.get(pk=ticket_id).status == "new"

    out = ticket_tool(
        staff["csm1"],
        action="update",
        ticket_id=ticket_id,
        status="pending",
        priority="high",
        comment="We are on it; can you send the SAML response?",
    )
    assert set(out["changed"]) == {"status", "priority", "comment", "first_response_at"}
    assert out["mirror"]["status"] == "pending"
    ticket = out["ticket"]
    assert ticket["status"] == "pending" and ticket["first_response_at"] is not None
    assert ticket["sla"]["first_response_target_minutes"] == 240  # re-targeted by priority
    assert ticket["sla"]["first_response_breached"] is False
    remote = zendesk_tickets(sandbox)[int(external_id)]
    assert remote["status"] == "pending" and remote["priority"] == "high"
    bodies = [c["body"] for c in zendesk_comments(sandbox, remote["id"])]
    assert bodies[-1] == "We are on it; can you send the SAML response?"
    assert bodies.count(bodies[-1]) == 1
    assert TicketComment.objects.get(ticket_id=ticket_id).author == "csm1"
    got = ticket_tool(staff["csm1"], action="get", ticket_id=ticket_id)["ticket"]
    assert got["mirror"]["status"] == "synced"

    solved = ticket_tool(staff["csm1"], action="update", ticket_id=ticket_id, status="solved")
    assert solved["ticket"]["resolved_at"] is not None
    reopened = ticket_tool(staff["csm1"], action="update", ticket_id=ticket_id, status="open")
    assert reopened["ticket"]["resolved_at"] is None
    assert zendesk_tickets(sandbox)[int(external_id)]["status"] == "open"


def _local_ticket(account, *, priority, opened_hours_ago, first_response_after_minutes=None):
    opened = clock.now() - timedelta(hours=opened_hours_ago)
    minutes = {"urgent": (60, 480), "normal": (480, 4320)}[priority]
    return SupportTicket.objects.create(
        account=account,
        subject=f"{priority} opened {opened_hours_ago}h ago",
        priority=priority,
        status="open",
        opened_at=opened,
        first_response_at=opened + timedelta(minutes=first_response_after_minutes)
        if first_response_after_minutes is not None
        else None,
        sla_first_response_minutes=minutes[0],
        sla_resolution_minutes=minutes[1],
    )


def test_sla_breach_is_computed_now_and_filterable(staff, two_books):
    overdue = _local_ticket(two_books["acme"], priority="urgent", opened_hours_ago=2)
    late_reply = _local_ticket(
        two_books["acme"], priority="urgent", opened_hours_ago=3, first_response_after_minutes=90
    )
    fresh = _local_ticket(two_books["acme"], priority="normal", opened_hours_ago=1)
    _local_ticket(two_books["globex"], priority="urgent", opened_hours_ago=5)  # another book

    got = ticket_tool(staff["csm1"], action="get", ticket_id=overdue.pk)["ticket"]["sla"]
    assert got["first_response_breached"] is True and got["resolution_breached"] is False
    late = ticket_tool(staff["csm1"], action="get", ticket_id=late_reply.pk)["ticket"]["sla"]
    assert late["first_response_breached"] is True  # answered, but after the 60 minutes
    ok = ticket_tool(staff["csm1"], action="get", ticket_id=fresh.pk)["ticket"]["sla"]
    assert ok["breached"] is False

    listed = ticket_tool(staff["csm1"], action="list", breached_only=True)
    assert [t["id"] for t in listed["tickets"]] == [overdue.pk, late_reply.pk]


def test_list_pages_with_constant_queries_and_scope(
    staff, two_books, django_assert_max_num_queries
):
    ids = [
        _local_ticket(two_books["acme"], priority="normal", opened_hours_ago=h).pk
        for h in range(1, 6)
    ]
    seen, cursor = [], None
    for _ in range(3):
        payload = {"action": "list", "limit": 2, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(8):
            page = ticket_tool(staff["csm1"], **payload)
        seen += [t["id"] for t in page["tickets"]]
        cursor = page["page"]["next_cursor"]
    assert seen == ids and cursor is None
    assert ticket_tool(staff["csm2"], action="list")["tickets"] == []
    with pytest.raises(NotFound):
        ticket_tool(staff["csm2"], action="get", ticket_id=ids[0])


def test_action_fields_are_checked(staff, two_books):
    with pytest.raises(InvalidInput) as err:
        ticket_tool(staff["csm1"], action="create", subject="x", ticket_id=3)
    fields = {e["field"] for e in err.value.details["errors"]}
    assert fields == {"account_id", "ticket_id"}
    assert SupportTicket.objects.count() == 0


def test_local_ticket_without_zendesk_is_not_mirrored(staff, two_books):
    out = ticket_tool(
        staff["csm1"], action="create", account_id=two_books["acme"].pk, subject="Question"
    )
    assert out["mirror"] is None
    assert out["ticket"]["mirror"]["status"] == "" and out["ticket"]["mirror"]["provider"] is None
    assert not OutboxMessage.objects.exists()


def test_sla_maths_and_transitions_are_pure():
    opened = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    state = sla_state(
        opened_at=opened,
        first_response_at=opened + timedelta(minutes=59),
        resolved_at=None,
        first_response_minutes=60,
        resolution_minutes=480,
        now=opened + timedelta(hours=8, minutes=1),
    )
    assert state.first_response_breached is False and state.resolution_breached is True
    assert state.resolution_due_at == opened + timedelta(hours=8)
    assert status_transition_allowed("solved", "open")
    assert not status_transition_allowed("closed", "open")
    assert not status_transition_allowed("open", "new")
