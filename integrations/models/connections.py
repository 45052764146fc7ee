"""Provider connections (credentials encrypted at rest), sync runs and the webhook inbox."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from encrypted_fields.fields import EncryptedJSONField, EncryptedTextField

from cs_platform.core.fields import StampField


class Provider(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk"
    INTERCOM = "intercom", "Intercom"
    MIXPANEL = "mixpanel", "Mixpanel"
    SENDGRID = "sendgrid", "SendGrid"


class Connection(models.Model):
    provider = models.CharField(max_length=16, choices=Provider.choices)
    name = models.CharField(max_length=100)
    base_url = models.URLField(max_length=300)
    # Fernet (AES-128-CBC + HMAC-SHA256) through django-fernet-encrypted-fields.
    credentials = EncryptedJSONField(default=dict)
    # The library stores an empty value as NULL (its get_prep_value maps "" to None).
    webhook_secret = EncryptedTextField(blank=True, null=True)
    settings = models.JSONField(default=dict, blank=True, help_text="Non-secret options")
    enabled = models.BooleanField(default=True)
    sync_interval_minutes = models.PositiveIntegerField(default=15)
    cursors = models.JSONField(
        default=dict, blank=True, help_text="Per-stream cursor, advanced after each commit"
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="connection_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()}: {self.name}"


class SyncStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partially succeeded"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    stream = models.CharField(max_length=40)
    status = models.CharField(max_length=16, choices=SyncStatus.choices)
    trigger = models.CharField(max_length=16, default="schedule")
    full_resync = models.BooleanField(
        default=False, help_text="Started from the beginning instead of the stored cursors"
    )
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    cursor_before = models.JSONField(null=True, blank=True)
    cursor_after = models.JSONField(null=True, blank=True)
    unmatched_samples = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # The database itself refuses a second queued-or-running run for one connection.
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(status__in=["queued", "running"]),
                name="syncrun_one_active_per_connection",
            ),
        ]
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.connection_id}/{self.stream} {self.status}"


ACTIVE_SYNC_STATUSES = (SyncStatus.QUEUED, SyncStatus.RUNNING)


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """The idempotent inbox: a provider event id is stored once, processed once."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks"
    )
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=80, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED
    )
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class EncryptionCanary(models.Model):
    """A known plaintext stored encrypted; /readyz checks that it still decrypts."""

    value = EncryptedTextField()

    def __str__(self) -> str:
        return "encryption canary"
