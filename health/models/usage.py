"""Product usage: daily rows per account (the reference's health/engagement/usage tables,
merged), the feature catalogue and per-feature adoption rolled up from events."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cs_platform.core.constraints import CoveringUniqueConstraint


class Feature(models.Model):
    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160)
    category = models.CharField(max_length=60, blank=True)
    is_tracked = models.BooleanField(default=True, help_text="Counts toward feature breadth")

    def __str__(self) -> str:
        return self.name


class UsageDaily(models.Model):
    """One account-day. Roll-ups (DAU/WAU/MAU, trends) are computed from these rows."""

    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.CASCADE,
        related_name="usage_days",
        db_index=False,  # usage_one_row_per_day leads with it
    )
    date = models.DateField()
    active_users = models.PositiveIntegerField(default=0)
    sessions = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=16, default="api", help_text="api, mixpanel, seed")

    class Meta:
        ordering = ["account_id", "date"]
        verbose_name_plural = "usage days"
        constraints = [
            # INCLUDE active_users: the health recompute reads (account, date, active_users)
            # for every account of a chunk as an index-only scan, without visiting the heap.
            CoveringUniqueConstraint(
                fields=["account", "date"],
                include=["active_users"],
                name="usage_one_row_per_day",
            ),
            models.CheckConstraint(
                condition=Q(sessions__gte=F("active_users")) | Q(active_users=0),
                name="usage_sessions_cover_users",
            ),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}: {self.active_users} users"


class FeatureAdoption(models.Model):
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="feature_adoption"
    )
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="adoption")
    first_used_on = models.DateField()
    last_used_on = models.DateField()
    events_total = models.PositiveBigIntegerField(default=0)
    users_last_30d = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "feature"], name="adoption_once"),
            models.CheckConstraint(
                condition=Q(last_used_on__gte=F("first_used_on")), name="adoption_dates_ordered"
            ),
        ]
        indexes = [models.Index(fields=["feature", "last_used_on"])]

    def __str__(self) -> str:
        return f"{self.account_id} uses {self.feature_id}"
