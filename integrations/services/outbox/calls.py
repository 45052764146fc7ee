"""The provider call behind each kind of outbox row, and how each avoids acting twice.

Every call is built from the local row as it is now and runs outside any transaction.
``row.maybe_sent`` says an earlier attempt may have reached the provider; then:

- Zendesk create: the attempt is repeated with the row's ``Idempotency-Key``, which
  Zendesk answers with the ticket the first attempt created. Zendesk keeps keys for two
  hours; after that, or when Zendesk refuses the key because the ticket has changed
  since, the ticket is first looked up by our ``external_id``.
- Zendesk update: the ticket's state fields are idempotent; a comment is looked for on
  the Zendesk ticket and not sent again when it is already there.
- Intercom contact deletion (an erased person's): deleting twice is harmless (a 404 is
  "already gone").
- SendGrid: mail send has no idempotency key. The message is looked up in SendGrid's
  Email Activity API by our custom arg: found, it is recorded as sent; absent, it is
  sent; when the account cannot use that API, the message is "unconfirmed" and never
  sent again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection as db_connection

from cs_platform.core.errors import DomainError
from integrations.clients import IntercomClient, SendGridClient, ZendeskClient
from integrations.errors import ProviderClientError
from integrations.models import Connection, EmailMessage, OutboxKind, OutboxMessage, SupportTicket
from integrations.services.email import OUTBOX_KEY_ARG, email_outgoing, email_reachable_check
from integrations.services.ticket_mirror import (
    ticket_create_body,
    ticket_mirror_external_id,
    ticket_update_body,
)

# Zendesk keeps an idempotency key for two hours; stop trusting it well before that.
ZENDESK_KEY_TRUSTED_FOR = timedelta(minutes=90)


class ConnectionUnavailable(DomainError):
    code = "connection_unavailable"
    http_status = 409


@dataclass(frozen=True)
class CallResult:
    provider_id: str = ""
    remote: dict[str, Any] | None = None  # Zendesk's ticket after a ticket call
    error: DomainError | None = None
    unconfirmed: bool = False  # SendGrid may have the message; we cannot find out


def outbox_call(row: OutboxMessage, *, now: datetime) -> CallResult:
    """Make ``row``'s provider call; failures come back in the result, never raised."""
    if db_connection.in_atomic_block:
        # The rule this module exists for: a provider call never holds a transaction
        # (or the row locks taken in it) open while it waits on the network.
        raise RuntimeError("outbox calls must run outside any database transaction")
    connection = row.connection
    if connection is None or not connection.enabled:
        return CallResult(
            error=ConnectionUnavailable("the connection of this delivery was removed or disabled")
        )
    try:
        if row.kind == OutboxKind.MAIL_SEND:
            return _mail_send(row, connection)
        if row.kind == OutboxKind.CONTACT_DELETE:
            with IntercomClient.for_connection(connection) as intercom:
                deleted = intercom.contact_delete(row.target_id)
            return CallResult(provider_id="deleted" if deleted else "already gone")
        ticket = SupportTicket.objects.select_related("account", "contact").get(pk=row.ticket_id)
        with ZendeskClient.for_connection(connection) as client:
            if row.kind == OutboxKind.TICKET_CREATE and ticket.external_id is None:
                remote = _ticket_create(client, row, ticket, now)
            else:
                remote = _ticket_update(client, row, ticket, now)
        return CallResult(provider_id=str(remote.get("id") or ""), remote=remote)
    except DomainError as exc:  # provider failures and unreadable credentials alike
        return CallResult(error=exc)


def _zendesk_key(row: OutboxMessage) -> str:
    return f"cs-outbox-{row.idempotency_key}"


def _ticket_create(
    client: ZendeskClient, row: OutboxMessage, ticket: SupportTicket, now: datetime
) -> dict[str, Any]:
    external_id = ticket_mirror_external_id(ticket)
    if row.maybe_sent and row.created_at <= now - ZENDESK_KEY_TRUSTED_FOR:
        found = client.ticket_find_by_external_id(external_id)
        if found is not None:
            return found
    try:
        return client.ticket_create(ticket_create_body(ticket), idempotency_key=_zendesk_key(row))
    except ProviderClientError as exc:
        if "IdempotentRequestError" not in exc.body_excerpt:
            raise
        # Zendesk has this key with another body: an earlier attempt created the ticket
        # and the ticket changed since. Find that copy (the update that follows sends the
        # change).
        found = client.ticket_find_by_external_id(external_id)
        if found is None:
            raise
        return found


def _ticket_update(
    client: ZendeskClient, row: OutboxMessage, ticket: SupportTicket, now: datetime
) -> dict[str, Any]:
    remote_id: str | int | None = ticket.external_id
    if remote_id is None:
        # The copy was never created (its create failed for good): create it with this
        # row's key, then send the comment.
        remote = _ticket_create(client, row, ticket, now)
        remote_id = remote["id"]
        if row.comment_id is None:
            return remote
    comment = row.comment
    text = comment.body if comment is not None else None
    if text and row.maybe_sent:
        if any((c.get("body") or "") == text for c in client.ticket_comments(remote_id)):
            text = None  # an earlier attempt delivered it
    public = comment.public if comment is not None else True
    return client.ticket_update(
        remote_id, ticket_update_body(ticket, text, public), idempotent=text is None
    )


def _mail_send(row: OutboxMessage, connection: Connection) -> CallResult:
    message = EmailMessage.objects.select_related("contact", "sent_by").get(pk=row.email_message_id)
    # Consent and opt-out are checked again: they may have changed since it was queued.
    email_reachable_check(message.contact, message.category)
    with SendGridClient.for_connection(connection) as client:
        if row.maybe_sent:
            found = client.messages_with_custom_arg(OUTBOX_KEY_ARG, row.idempotency_key)
            if found is None:
                return CallResult(unconfirmed=True)
            if found:
                return CallResult(provider_id=str(found[0].get("msg_id") or "").split(".")[0])
        provider_id = client.mail_send(email_outgoing(message, connection, row.idempotency_key))
    return CallResult(provider_id=provider_id)
