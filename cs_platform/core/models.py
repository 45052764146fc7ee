"""Platform-wide models: staff roles, API tokens and idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField


class Role(models.TextChoices):
    MANAGER = "manager", "CS manager (all accounts)"
    CSM = "csm", "CSM (own accounts)"
    VIEWER = "viewer", "Viewer (read only)"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CSM)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    # Only /metrics: a scraper's token reads operations metrics and nothing else.
    METRICS = "metrics", "Metrics"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, help_text="Public identifier")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    is_agent = models.BooleanField(
        default=False, help_text="Issued to an AI agent: limited to its scopes."
    )
    created_at = StampField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class IdempotencyRecord(models.Model):
    """The stored answer of a mutating tool call, replayed for a repeated idempotency key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tool = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = StampField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tool", "key"], name="idempotency_unique_key"),
            models.CheckConstraint(condition=~Q(key=""), name="idempotency_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.tool}:{self.key}"
