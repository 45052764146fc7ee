"""Mirroring a local support ticket to Zendesk (create, then updates) through the
Zendesk client. A provider failure never loses the local ticket: it is recorded on the
ticket (``mirror_status`` "failed" + ``mirror_error``) and returned to the caller, and
``handle_support_ticket`` action ``retry_mirror`` sends the ticket's state again.

Which connection mirrors a ticket: a ticket that came from Zendesk, its own; a local
ticket, the enabled Zendesk connection with the lowest id unless its settings say
``"mirror_tickets": false``. Tickets from other providers (Intercom) are not mirrored.
"""

from __future__ import annotations

from typing import Any

from cs_platform.core.errors import DomainError
from integrations.clients import ZendeskClient
from integrations.models import Connection, Provider, SupportTicket
from integrations.services.syncs.mapping import parse_time

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


def _requester(ticket: SupportTicket) -> dict[str, str] | None:
    contact = ticket.contact
    if contact is None or contact.erased_at is not None:
        return None
    name = f"{contact.first_name} {contact.last_name}".strip() or contact.email
    return {"name": name, "email": contact.email}


def _create_body(ticket: SupportTicket) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": ticket.subject,
        "comment": {"body": ticket.description or ticket.subject, "public": True},
        "priority": ticket.priority,
        "tags": list(ticket.tags or []),
        # Our id travels with the ticket, so a Zendesk agent (or a search) can find it.
        "external_id": f"cs-platform-ticket-{ticket.pk}",
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


def _update_body(ticket: SupportTicket, comment: str | None, public: bool) -> dict[str, Any]:
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


def ticket_mirror_send(
    ticket: SupportTicket,
    connection: Connection,
    *,
    comment: str | None = None,
    comment_public: bool = True,
) -> DomainError | None:
    """Create or update the Zendesk copy of ``ticket`` and record the outcome on it
    (fields only; the caller saves). Returns the provider error, or None."""
    try:
        with ZendeskClient.for_connection(connection) as client:
            if ticket.external_id is None:
                remote = client.ticket_create(_create_body(ticket))
            else:
                remote = client.ticket_update(
                    ticket.external_id, _update_body(ticket, comment, comment_public)
                )
    except DomainError as exc:  # provider failures and unreadable credentials alike
        ticket.mirror_status = MIRROR_FAILED
        ticket.mirror_error = f"{exc.code}: {exc.message}"[:300]
        return exc
    ticket.connection = connection
    ticket.external_id = str(remote.get("id") or ticket.external_id)
    ticket.source_updated_at = parse_time(remote.get("updated_at"), "updated_at", required=False)
    ticket.mirror_status = MIRROR_SYNCED
    ticket.mirror_error = ""
    return None
