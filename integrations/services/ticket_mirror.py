"""Mirroring a local support ticket to Zendesk: which connection mirrors it, what is sent,
and how the outcome is written back on the ticket.

The call itself is made after commit by the outbox (``integrations.services.outbox``):
a ticket change stores an ``OutboxMessage`` and sets ``mirror_status`` "pending"; the
delivery ends it "synced" (with Zendesk's id) or "failed" (with the error), and
``handle_support_ticket`` action ``retry_mirror`` queues the ticket's state again.

Which connection mirrors a ticket: a ticket that came from Zendesk, its own; a local
ticket, the enabled Zendesk connection with the lowest id unless its settings say
``"mirror_tickets": false``. Tickets from other providers (Intercom) are not mirrored.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from cs_platform.core.errors import DomainError
from integrations.models import Connection, Provider, SupportTicket
from integrations.services.syncs.mapping import parse_time

MIRROR_PENDING = "pending"
MIRROR_SYNCED = "synced"
MIRROR_FAILED = "failed"
# Zendesk lets only its automations close a ticket; "closed" is never sent.
_SENDABLE_STATUSES = frozenset({"open", "pending", "hold", "solved"})


def mirror_connection_for(ticket: SupportTicket) -> Connection | None:
    """The Zendesk connection that mirrors ``ticket``, or None when none applies."""
    if ticket.connection_id is not None:
        connection = ticket.connection
        if connection.provider == Provider.ZENDESK and connection.enabled:
            return connection
        return None
    for connection in Connection.objects.filter(provider=Provider.ZENDESK, enabled=True).order_by(
        "id"
    ):
        if (connection.settings or {}).get("mirror_tickets", True) is not False:
            return connection
    return None


def ticket_mirror_external_id(ticket: SupportTicket) -> str:
    """Our id as Zendesk stores it (``external_id``): agents and lookups find it by this."""
    return f"cs-platform-ticket-{ticket.pk}"


def _requester(ticket: SupportTicket) -> dict[str, str] | None:
    contact = ticket.contact
    if contact is None or contact.erased_at is not None:
        return None
    name = f"{contact.first_name} {contact.last_name}".strip() or contact.email
    return {"name": name, "email": contact.email}


def ticket_create_body(ticket: SupportTicket) -> dict[str, Any]:
    """The Zendesk create body for the ticket's current state."""
    body: dict[str, Any] = {
        "subject": ticket.subject,
        "comment": {"body": ticket.description or ticket.subject, "public": True},
        "priority": ticket.priority,
        "tags": list(ticket.tags or []),
        "external_id": ticket_mirror_external_id(ticket),
    }
    if ticket.status in _SENDABLE_STATUSES:
        body["status"] = ticket.status
    requester = _requester(ticket)
    if requester:
        body["requester"] = requester
    org_id = ticket.account.zendesk_org_id
    if org_id and str(org_id).isdigit():
        body["organization_id"] = int(org_id)
    return body


def ticket_update_body(ticket: SupportTicket, comment: str | None, public: bool) -> dict[str, Any]:
    """The Zendesk update body: the ticket's current state, plus a comment when given."""
    body: dict[str, Any] = {
        "subject": ticket.subject,
        "priority": ticket.priority,
        "tags": list(ticket.tags or []),
    }
    if ticket.status in _SENDABLE_STATUSES:
        body["status"] = ticket.status
    if comment:
        body["comment"] = {"body": comment, "public": public}
    return body


def ticket_mirror_result_apply(
    ticket: SupportTicket,
    *,
    connection: Connection | None,
    remote: dict[str, Any] | None = None,
    error: DomainError | None = None,
    final: bool = True,
    more_queued: bool = False,
) -> None:
    """Write a delivery's outcome on the (locked) ticket and save it.

    ``remote`` is Zendesk's ticket after success. An ``error`` with ``final=False`` is an
    attempt that will be retried: the ticket stays "pending" and shows the error. With
    ``more_queued`` a later change still waits to be sent, so the ticket stays "pending"."""
    fields = ["mirror_status", "mirror_error", "updated_at"]
    if remote is not None:
        ticket.connection = connection
        ticket.external_id = str(remote.get("id") or ticket.external_id)
        ticket.source_updated_at = parse_time(
            remote.get("updated_at"), "updated_at", required=False
        )
        ticket.mirror_status = MIRROR_PENDING if more_queued else MIRROR_SYNCED
        ticket.mirror_error = ""
        fields += ["connection", "external_id", "source_updated_at"]
    else:
        assert error is not None
        ticket.mirror_status = MIRROR_FAILED if final and not more_queued else MIRROR_PENDING
        ticket.mirror_error = f"{error.code}: {error.message}"[:300]
    try:
        with transaction.atomic():
            ticket.save(update_fields=fields)
    except IntegrityError:
        # A sync imported Zendesk's copy as another local ticket before this outcome was
        # recorded: say so rather than hold two local rows for one Zendesk ticket.
        ticket.refresh_from_db()
        ticket.mirror_status = MIRROR_FAILED
        ticket.mirror_error = (
            f"mirror_conflict: Zendesk ticket {remote.get('id') if remote else '?'} is "
            "already stored as another local ticket"
        )[:300]
        ticket.save(update_fields=["mirror_status", "mirror_error", "updated_at"])
