"""Storing provider calls to make after commit. Called inside the caller's transaction,
so the local row and its outbox row commit (or roll back) together."""

from __future__ import annotations

import uuid
from datetime import datetime

from integrations.models import (
    Connection,
    EmailMessage,
    OutboxMessage,
    OutboxStatus,
    SupportTicket,
    TicketComment,
)


def outbox_message_create(
    *,
    kind: str,
    connection: Connection,
    now: datetime,
    ticket: SupportTicket | None = None,
    comment: TicketComment | None = None,
    email_message: EmailMessage | None = None,
) -> OutboxMessage:
    """A call to make once the current transaction commits; due at once."""
    return OutboxMessage.objects.create(
        kind=kind,
        connection=connection,
        ticket=ticket,
        comment=comment,
        email_message=email_message,
        idempotency_key=uuid.uuid4().hex,
        next_attempt_at=now,
    )


def outbox_deletion_create(
    *, kind: str, connection: Connection, target_id: str, key: str, now: datetime
) -> OutboxMessage:
    """A deletion at the provider (of an erased person's record), once; `key` is stable
    for the target, so erasing again does not queue it twice."""
    row, _ = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
            "connection": connection,
            "target_id": target_id,
            "next_attempt_at": now,
        },
    )
    return row


def outbox_message_rearm(message: OutboxMessage, *, now: datetime) -> None:
    """Make a pending row due now (an operator or agent asked to retry it)."""
    if message.status == OutboxStatus.PENDING and message.next_attempt_at > now:
        message.next_attempt_at = now
        message.save(update_fields=["next_attempt_at", "updated_at"])


def outbox_pending_rearm_all(*, now: datetime) -> int:
    """Make every pending row due now, skipping their backoff (after an outage is over)."""
    return OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__gt=now
    ).update(next_attempt_at=now, updated_at=now)
