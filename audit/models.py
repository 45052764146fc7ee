"""Append-only, hash-chained audit events (DESIGN.md 8).

Each event stores the hash of its predecessor in its chain (the trail is a fixed number of
independent chains, see `audit.services.AUDIT_CHAINS`); `verify_audit_chain` recomputes
every chain, so an edited or deleted row is detectable. Account/object ids are plain values rather
than foreign keys: deleting an account must not rewrite (and so break) its audit rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditChannel(models.TextChoices):
    MCP = "mcp", "MCP"
    REST = "rest", "REST API"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    TASK = "task", "Background task"
    WEBHOOK = "webhook", "Webhook"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # Never followed on delete: the row is immutable (a trigger refuses UPDATE), so a
        # deleted user leaves a dangling id; the hashed `actor_label` says who acted.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=AuditChannel.choices)
    action = models.CharField(max_length=120, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    chain = models.PositiveSmallIntegerField(
        default=0,
        db_default=0,
        help_text="Which of the hash chains the event links into (audit.services.AUDIT_CHAINS)",
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    hash_version = models.PositiveSmallIntegerField(
        default=1, help_text="How the hash was computed (audit.services.CHAIN_VERSION)"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The writer reads its chain's newest event under the chain's lock.
            models.Index(fields=["chain", "-id"], name="audit_event_chain_head"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditChainCheck(models.Model):
    """One run of the chain verification (the daily task or the command). The newest row
    is what ``/metrics`` reports, so a broken chain stays visible after a restart."""

    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    events_checked = models.PositiveBigIntegerField()
    first_bad_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=80)
    seconds = models.FloatField()

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["-checked_at"], name="audit_check_newest")]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'BROKEN'}"


class AuditCheckpoint(models.Model):
    """The chain's head at a moment, signed with a key kept outside the database
    (`settings.AUDIT_CHECKPOINT_KEY`). Whoever can delete the newest events cannot forge
    a checkpoint, so `verify_audit_chain` notices when the signed head is gone."""

    created_at = models.DateTimeField()
    chain = models.PositiveSmallIntegerField(default=0, db_default=0)
    event_id = models.BigIntegerField()
    event_hash = models.CharField(max_length=64)
    events = models.PositiveBigIntegerField(help_text="Events up to and including the head")
    mac = models.CharField(max_length=64, help_text="HMAC-SHA256 of the fields above")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} chain {self.chain} head {self.event_id}"
