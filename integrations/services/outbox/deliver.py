"""One delivery attempt of an outbox row: claim, call, record.

1. **Claim** (a short transaction): lock the row, skip it when it is finished, not due,
   or in flight in another worker; otherwise mark it "sending" with ``claimed_at`` and
   one more attempt, and commit. A row found "sending" past the claim timeout belongs to
   a worker that died mid-call: it is claimed again with ``maybe_sent``.
2. **Call** outside any transaction (``calls.outbox_call``), holding no row lock.
3. **Record** (a short transaction): the outcome on the outbox row and on the local row
   (ticket or e-mail) with their audit event. A 4xx fails for good; other failures are
   retried with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``.

A worker killed between 2 and 3 leaves the row "sending"; the next claim knows the call
may have happened, and ``calls`` makes sure it does not happen twice.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from prometheus_client import Counter

from audit.services import audit_event_record
from cs_platform.core import clock
from cs_platform.core.errors import DomainError
from integrations.errors import ProviderClientError
from integrations.models import (
    EmailMessage,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    SupportTicket,
)
from integrations.selectors.outbox import outbox_unfinished_for_ticket
from integrations.services.email import email_send_result_apply
from integrations.services.outbox.calls import CallResult, outbox_call
from integrations.services.ticket_mirror import ticket_mirror_result_apply

logger = logging.getLogger(__name__)

DELIVERIES = Counter(
    "cs_outbox_deliveries_total", "Outbox delivery attempts by outcome", ["kind", "outcome"]
)
# How long after an earlier delivery of the same ticket is due a later one looks again.
_ORDER_WAIT = timedelta(seconds=5)


@dataclass(frozen=True)
class DeliveryOutcome:
    outbox_id: int
    status: str  # the row's status after this run ("skipped": nothing done)
    reason: str = ""
    retry_in: float | None = None  # seconds until the row is due again, when pending

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class DeliveryInFlight(Exception):
    """Another worker claimed the row and may still be calling; ask again later."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"delivery in flight; stale in {retry_in:.1f}s")
        self.retry_in = retry_in


def outbox_message_deliver(*, outbox_id: int) -> DeliveryOutcome:
    """Make one attempt at the row's provider call and record what happened."""
    claimed = _claim(outbox_id, now=clock.now())
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    result = outbox_call(claimed, now=clock.now())
    return _record(claimed, result, now=clock.now())


def _claim(outbox_id: int, *, now: datetime) -> OutboxMessage | DeliveryOutcome:
    claim_timeout = timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")
            .filter(pk=outbox_id)
            .first()
        )
        if row is None:
            exists = OutboxMessage.objects.filter(pk=outbox_id).exists()
            if exists:  # another worker is claiming or recording it this instant
                raise DeliveryInFlight(retry_in=1.0)
            return DeliveryOutcome(outbox_id, "skipped", reason="missing")
        if row.status in (OutboxStatus.SUCCEEDED, OutboxStatus.FAILED):
            return DeliveryOutcome(outbox_id, "skipped", reason=f"already {row.status}")
        if row.status == OutboxStatus.SENDING:
            stale_at = row.claimed_at + claim_timeout
            if now < stale_at:
                raise DeliveryInFlight(retry_in=(stale_at - now).total_seconds())
            row.maybe_sent = True  # its worker died after claiming: the call may have happened
        elif row.next_attempt_at > now:
            # A duplicate or early task: the row's own scheduled task (or beat) comes later.
            return DeliveryOutcome(outbox_id, row.status, reason="not due")
        earlier = _earlier_unfinished(row) if row.ticket_id is not None else None
        if earlier is not None:
            # A ticket's calls go in order: an update must not overtake its create. Look
            # again shortly after the earlier one's next attempt.
            wait_until = now + _ORDER_WAIT
            if earlier.status == OutboxStatus.PENDING:
                wait_until = max(wait_until, earlier.next_attempt_at + _ORDER_WAIT)
            row.status, row.next_attempt_at = OutboxStatus.PENDING, wait_until
            row.save(update_fields=["status", "maybe_sent", "next_attempt_at", "updated_at"])
            retry_in = (wait_until - now).total_seconds()
            return DeliveryOutcome(
                outbox_id, row.status, reason="after an earlier delivery", retry_in=retry_in
            )
        row.status, row.claimed_at = OutboxStatus.SENDING, now
        row.attempts += 1
        row.save(update_fields=["status", "claimed_at", "attempts", "maybe_sent", "updated_at"])
    return row


def _earlier_unfinished(row: OutboxMessage) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.filter(
            ticket_id=row.ticket_id,
            id__lt=row.pk,
            status__in=(OutboxStatus.PENDING, OutboxStatus.SENDING),
        )
        .order_by("id")
        .first()
    )


def _retry_delay(row: OutboxMessage, error: DomainError) -> float:
    """Exponential backoff with jitter from the attempts made, honouring Retry-After and,
    for a SendGrid send that may have been accepted, the activity feed's settling time."""
    cap = min(
        settings.OUTBOX_RETRY_MAX_SECONDS,
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1),
    )
    delay = cap / 2 + random.uniform(0, cap / 2)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        delay = max(delay, float(retry_after))
    if row.kind == OutboxKind.MAIL_SEND and getattr(error, "maybe_processed", False):
        delay = max(delay, settings.OUTBOX_SENDGRID_SETTLE_SECONDS)
    return delay


def _retryable(error: DomainError) -> bool:
    # A 4xx says our request is wrong; repeating it cannot help.
    return error.retryable and not isinstance(error, ProviderClientError)


def _record(claimed: OutboxMessage, result: CallResult, *, now: datetime) -> DeliveryOutcome:
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(of=("self",))
            .select_related("connection")
            .get(pk=claimed.pk)
        )
        if row.status != OutboxStatus.SENDING or row.claimed_at != claimed.claimed_at:
            # Our claim went stale and another attempt took over; it records the outcome.
            return DeliveryOutcome(row.pk, "skipped", reason="claimed again meanwhile")
        error = result.error
        retry_in = None
        if result.unconfirmed:
            row.status, row.completed_at = OutboxStatus.FAILED, now
            row.error_code = "delivery_unconfirmed"
            row.error = "the provider may have accepted it; it cannot be checked, so not resent"
        elif error is None:
            row.status, row.completed_at = OutboxStatus.SUCCEEDED, now
            row.provider_id, row.error_code, row.error = result.provider_id[:120], "", ""
        else:
            row.error_code, row.error = error.code[:64], error.message[:300]
            row.maybe_sent = row.maybe_sent or bool(getattr(error, "maybe_processed", False))
            max_attempts = settings.OUTBOX_MAX_ATTEMPTS
            if _retryable(error) and row.attempts < max_attempts:
                retry_in = _retry_delay(row, error)
                row.status, row.next_attempt_at = (
                    OutboxStatus.PENDING,
                    now + timedelta(seconds=retry_in),
                )
            else:
                row.status, row.completed_at = OutboxStatus.FAILED, now
        row.save()
        if row.ticket_id is not None:
            _ticket_apply(row, result, now=now)
        elif row.kind == OutboxKind.CONTACT_DELETE:
            _deletion_apply(row)
        elif row.status in (OutboxStatus.SUCCEEDED, OutboxStatus.FAILED):
            _email_apply(row, result, now=now)
    outcome = "retrying" if retry_in is not None else row.status
    DELIVERIES.labels(row.kind, outcome).inc()
    logger.info(
        json.dumps(
            {
                "event": "outbox_delivery",
                "outbox_id": row.pk,
                "kind": row.kind,
                "outcome": outcome,
                "attempts": row.attempts,
                "error_code": row.error_code or None,
            }
        )
    )
    return DeliveryOutcome(row.pk, row.status, reason=row.error_code, retry_in=retry_in)


def _ticket_apply(row: OutboxMessage, result: CallResult, *, now: datetime) -> None:
    ticket = SupportTicket.objects.select_for_update().get(pk=row.ticket_id)
    final = row.status != OutboxStatus.PENDING
    waiting = outbox_unfinished_for_ticket(ticket.pk)
    ticket_mirror_result_apply(
        ticket,
        connection=row.connection,
        remote=result.remote if row.status == OutboxStatus.SUCCEEDED else None,
        error=result.error,
        final=final,
        more_queued=waiting is not None and waiting.pk != row.pk,
    )
    if final:
        audit_event_record(
            actor=None,
            actor_label="task:outbox",
            channel="task",
            action="ticket.mirrored"
            if row.status == OutboxStatus.SUCCEEDED
            else "ticket.mirror_failed",
            obj=ticket,
            changes={
                "delivery_id": row.pk,
                "external_id": ticket.external_id,
                "mirror_status": ticket.mirror_status,
                "error_code": row.error_code or None,
            },
        )


def _deletion_apply(row: OutboxMessage) -> None:
    """A deletion that succeeded forgets its target (nothing here need link to the person
    any more); one that failed for good keeps it for the operator who finishes by hand."""
    if row.status == OutboxStatus.PENDING:
        return
    if row.status == OutboxStatus.SUCCEEDED:
        row.target_id = ""
        row.save(update_fields=["target_id", "updated_at"])
    audit_event_record(
        actor=None,
        actor_label="task:outbox",
        channel="task",
        action="gdpr.provider_deleted"
        if row.status == OutboxStatus.SUCCEEDED
        else "gdpr.provider_delete_failed",
        obj=row,
        changes={
            "kind": row.kind,
            "outcome": row.provider_id,
            "error_code": row.error_code or None,
        },
    )


def _email_apply(row: OutboxMessage, result: CallResult, *, now: datetime) -> None:
    message = EmailMessage.objects.select_for_update().get(pk=row.email_message_id)
    email_send_result_apply(
        message,
        sent=row.status == OutboxStatus.SUCCEEDED,
        provider_message_id=result.provider_id or None,
        error=result.error,
        unconfirmed=result.unconfirmed,
        now=now,
    )
