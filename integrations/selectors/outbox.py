"""Reads over the outbox: what is due for an attempt, what a ticket still waits for."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from integrations.models import OutboxMessage, OutboxStatus


def outbox_due_ids(
    *, now: datetime, pending_before: datetime, stale_before: datetime, limit: int = 500
) -> list[int]:
    """Unfinished rows a re-drive should hand to a worker, oldest first (so a ticket's
    calls go in the order they were queued): pending ones due before ``pending_before``
    (their own task is late or lost) and ones left "sending" since before
    ``stale_before`` (their worker died mid-call)."""
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=min(now, pending_before)) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=stale_before
    )
    return list(
        OutboxMessage.objects.filter(due).order_by("id").values_list("id", flat=True)[:limit]
    )


def outbox_unfinished_for_ticket(ticket_id: int) -> OutboxMessage | None:
    """The ticket's newest delivery still pending or in flight, if any."""
    return (
        OutboxMessage.objects.filter(
            ticket_id=ticket_id, status__in=(OutboxStatus.PENDING, OutboxStatus.SENDING)
        )
        .order_by("-id")
        .first()
    )
