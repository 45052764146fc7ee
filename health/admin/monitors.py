# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Monitor configuration (editable by managers) and run history (records)."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, CsTabularInline
from cs_platform.core.admin.display import duration_text, json_block
from health.models import MonitorConfig, MonitorRun
from health.services.monitors.runner import MONITOR_CONFIG_WRITES


class MonitorRunInline(CsTabularInline):
    model = MonitorRun
    read_only = True
    fields = (
        "started_at",
        "status",
        "trigger",
        "accounts_scanned",
        "findings",
        "ctas_created",
        "error",
    )
    readonly_fields = fields
    row_ordering = ("-started_at", "-id")


@admin.register(MonitorConfig)
class MonitorConfigAdmin(CsModelAdmin):
    """One row per registered monitor, created with its defaults: changed, never added."""

    write_roles = MANAGERS
    writes = MONITOR_CONFIG_WRITES  # thresholds validated against the monitor's spec
    list_display = ("key", "enabled", "interval_minutes", "last_run_at", "updated_at")
    list_filter = ("enabled",)
    readonly_fields = ("last_run_at", "updated_at")
    inlines = [MonitorRunInline]


@admin.register(MonitorRun)
class MonitorRunAdmin(CsModelAdmin):
    read_only = True
    list_display = (
        "monitor",
        "status",
        "trigger",
        "started_at",
        "duration",
        "accounts_scanned",
        "findings",
        "ctas_created",
    )
    list_filter = ("status", "monitor", "trigger")
    list_select_related = ("monitor",)
    date_hierarchy = "started_at"
    fields = (
        "monitor",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "accounts_scanned",
        "findings",
        "ctas_created",
        "error",
        "details_pretty",
    )
    readonly_fields = fields
    # Details list the CTAs a run raised across every book.
    manager_only_fields = ("details_pretty",)

    @admin.display(description="took")
    def duration(self, obj):
        if obj.finished_at is None:
            return None
        return duration_text(obj.finished_at - obj.started_at)

    @admin.display(description="details")
    def details_pretty(self, obj):
        return json_block(obj.details)
