"""The outbox: provider calls to make after the local change has committed.

A write that must reach a provider (a ticket mirrored to Zendesk, an e-mail sent through
SendGrid) stores an ``OutboxMessage`` in the same transaction as its local row. A task
makes the call afterwards, outside any transaction, and records the outcome on both
rows (see ``integrations.services.outbox``). The row holds references and outcomes, never
the payload: the call is built from the local row when it is made, so erasing personal
data from the local row leaves nothing behind here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField


class OutboxKind(models.TextChoices):
    TICKET_CREATE = "zendesk.ticket_create", "Create the Zendesk ticket"
    TICKET_UPDATE = "zendesk.ticket_update", "Update the Zendesk ticket"
    MAIL_SEND = "sendgrid.mail_send", "Send the e-mail through SendGrid"
    CONTACT_DELETE = "intercom.contact_delete", "Delete an erased person's Intercom contact"


TICKET_KINDS = (OutboxKind.TICKET_CREATE, OutboxKind.TICKET_UPDATE)


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its next attempt"
    SENDING = "sending", "An attempt is in flight"
    SUCCEEDED = "succeeded", "Accepted by the provider"
    FAILED = "failed", "Failed for good"


UNFINISHED_OUTBOX_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class OutboxMessage(models.Model):
    kind = models.CharField(max_length=32, choices=OutboxKind.choices)
    status = models.CharField(
        max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    connection = models.ForeignKey(
        "integrations.Connection", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "integrations.SupportTicket", null=True, on_delete=models.CASCADE, related_name="outbox"
    )
    # The agent comment an update carries to Zendesk (its text stays on the comment row).
    comment = models.ForeignKey(
        "integrations.TicketComment", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email_message = models.ForeignKey(
        "integrations.EmailMessage", null=True, on_delete=models.CASCADE, related_name="outbox"
    )
    # Sent with every attempt (Zendesk's Idempotency-Key; a SendGrid custom arg), so a
    # repeat is recognised as the same call.
    idempotency_key = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    # An earlier attempt may have reached the provider (it timed out, got a 5xx that can
    # follow processing, or its worker died): the next one checks before sending again.
    maybe_sent = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=120, blank=True)
    # What a deletion deletes (the provider's id of an erased person's record): the local
    # row no longer has it (erasure blanks it). Cleared once the provider confirms.
    target_id = models.CharField(max_length=120, blank=True, default="", db_default="")
    error_code = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=TICKET_KINDS, ticket__isnull=False, email_message__isnull=True)
                    | Q(kind=OutboxKind.MAIL_SEND, email_message__isnull=False, ticket__isnull=True)
                    | Q(
                        kind=OutboxKind.CONTACT_DELETE,
                        ticket__isnull=True,
                        email_message__isnull=True,
                    )
                ),
                name="outbox_subject_matches_kind",
            ),
        ]
        indexes = [
            # The re-drive scan: unfinished rows by due time (finished ones never match).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=UNFINISHED_OUTBOX_STATUSES),
                name="outbox_unfinished_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
