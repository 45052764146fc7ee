# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Changelist filters over annotated values (health band, renewal window)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db.models import Q

from cs_platform.core import clock
from health.models import HealthBand


class HealthBandFilter(admin.SimpleListFilter):
    """Band of the latest snapshot; "unknown" also covers accounts never scored."""

    title = "health band"
    parameter_name = "health_band"

    def lookups(self, request, model_admin):
        return HealthBand.choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == HealthBand.UNKNOWN:
            return queryset.filter(Q(health_band=value) | Q(health_band__isnull=True))
        return queryset.filter(health_band=value)


class RenewalWindowFilter(admin.SimpleListFilter):
    """Next open renewal within N days (overdue ones included: they need the most care)."""

    title = "renewal within"
    parameter_name = "renewal_within"
    WINDOWS = (30, 60, 90, 180)

    def lookups(self, request, model_admin):
        return [(str(days), f"{days} days") for days in self.WINDOWS] + [
            ("none", "No open renewal")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(next_renewal_date__isnull=True)
        if value and value.isdigit():
            horizon = clock.today() + timedelta(days=int(value))
            return queryset.filter(next_renewal_date__lte=horizon)
        return queryset
