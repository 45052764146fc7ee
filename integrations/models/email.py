from __future__ import annotations

from django.conf import settings
from django.db import models

from cs_platform.core.fields import StampField


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending (not yet accepted by the provider)"
    # The send may have reached SendGrid but could not be confirmed; never resent by itself.
    UNCONFIRMED = "unconfirmed", "Unconfirmed (the provider may have accepted it)"
    SENT = "sent", "Accepted by provider"
    DELIVERED = "delivered", "Delivered"
    OPENED = "opened", "Opened"
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"


class EmailMessage(models.Model):
    """An e-mail to a stored contact (only real contacts: the send service requires one).
    Deleting the contact keeps the send record without it (`contact` becomes empty), so a
    contact who was ever e-mailed can still be deleted; an undelivered message to a
    deleted contact is never sent."""

    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="emails"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, on_delete=models.SET_NULL, related_name="emails"
    )
    connection = models.ForeignKey(
        "integrations.Connection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    category = models.CharField(max_length=16, default="service")
    provider_message_id = models.CharField(max_length=120, null=True, blank=True, unique=True)
    error = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"


class EmailEvent(models.Model):
    message = models.ForeignKey(
        EmailMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    provider_event_id = models.CharField(max_length=120, unique=True)
    event = models.CharField(max_length=24)
    email = models.EmailField()
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.email}"
