"""Consent, data-subject requests and retention policies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ConsentPurpose(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", "Marketing e-mail"
    PRODUCT_EMAIL = "product_email", "Product e-mail"
    SURVEYS = "surveys", "Surveys"
    USAGE_TRACKING = "usage_tracking", "Usage tracking"


class ConsentRecord(models.Model):
    """Consent history: the newest row per contact and purpose is in force."""

    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=24, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=60)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["contact", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.purpose}={'yes' if self.granted else 'no'}"


class RequestKind(models.TextChoices):
    EXPORT = "export", "Export (access)"
    ERASURE = "erasure", "Erasure"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"


class DataSubjectRequest(models.Model):
    kind = models.CharField(max_length=8, choices=RequestKind.choices)
    subject_email = models.EmailField()
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="Statutory deadline (one month)")
    completed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="dsr_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.subject_email}"


class RetentionAction(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise"


class RetentionPolicy(models.Model):
    data_category = models.CharField(max_length=60, unique=True)
    retain_days = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=RetentionAction.choices)
    enabled = models.BooleanField(default=True)
    last_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.data_category}: {self.retain_days} days"


class RetentionRunStatus(models.TextChoices):
    PLANNED = "planned", "Planned (waiting for its grace period or a confirmation)"
    APPLIED = "applied", "Applied"


class RetentionRun(models.Model):
    """One retention report: what the enabled policies would delete or anonymise, counted
    when it was planned, and (once applied) what was done. The daily task applies a
    planned report only after `apply_after` (the grace period), or a manager confirms it
    earlier (`gdpr_retention --confirm`); nothing is deleted that no report announced."""

    planned_at = models.DateTimeField()
    apply_after = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=RetentionRunStatus.choices, default=RetentionRunStatus.PLANNED
    )
    report = models.JSONField(default=dict, help_text="Per category: action, cutoff, rows")
    applied_at = models.DateTimeField(null=True, blank=True)
    applied = models.JSONField(default=dict, blank=True, help_text="What the apply changed")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who applied it before its grace period ended (empty: the daily task)",
    )

    class Meta:
        ordering = ["-planned_at", "-id"]
        constraints = [
            # One pending report at a time: the next is planned when this one is applied.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="planned"),
                name="retention_one_planned_run",
            ),
        ]

    def __str__(self) -> str:
        return f"retention report #{self.pk} ({self.status})"
