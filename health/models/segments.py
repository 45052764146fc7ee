from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cs_platform.core.fields import StampField


class Segment(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    rules = models.JSONField(help_text="Stored rule set evaluated against account attributes")
    is_active = models.BooleanField(default=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = StampField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    """Membership history: a row per stay; `exited_at` NULL means a current member."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    entered_at = models.DateTimeField()
    exited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "account"],
                condition=Q(exited_at__isnull=True),
                name="segment_one_current_membership",
            ),
            models.CheckConstraint(
                condition=Q(exited_at__isnull=True) | Q(exited_at__gte=F("entered_at")),
                name="segment_exit_after_entry",
            ),
        ]
        indexes = [models.Index(fields=["account", "exited_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.segment_id}"
