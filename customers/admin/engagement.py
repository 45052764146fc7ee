# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""The working side of an account: activities, CTAs, escalations and stage history.
(Campaigns and their enrolments are in `health/admin/campaigns.py`, beside their
services.)"""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core import clock
from cs_platform.core.admin.base import CsModelAdmin, admin_actor
from cs_platform.core.admin.display import json_block
from cs_platform.core.admin.writes import service_call
from customers.admin.assignees import AssigneeChoicesMixin
from customers.models import (
    CLOSED_CTA,
    CTA,
    CTA_CLOSED_STATUSES,
    Activity,
    Escalation,
    EscalationStatus,
    LifecycleStageChange,
)
from customers.services.ctas import CTA_WRITES, cta_close
from customers.services.escalations import ESCALATION_WRITES
from customers.services.records import ACTIVITY_WRITES


@admin.register(Activity)
class ActivityAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = ACTIVITY_WRITES  # the author defaults to whoever records it
    list_display = ("occurred_at", "kind", "subject", "account", "contact", "author")
    list_filter = ("kind",)
    search_fields = ("subject", "body", "account__name")
    list_select_related = ("account", "contact", "author")
    autocomplete_fields = ("account", "contact")
    raw_id_fields = ("author",)
    date_hierarchy = "occurred_at"


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due today"), ("none", "No due date")]

    def queryset(self, request, queryset):
        today = clock.today()
        open_rows = queryset.exclude(CLOSED_CTA)
        if self.value() == "overdue":
            return open_rows.filter(due_date__lt=today)
        if self.value() == "today":
            return open_rows.filter(due_date=today)
        if self.value() == "none":
            return queryset.filter(due_date__isnull=True)
        return queryset


@admin.register(CTA)
class CtaAdmin(AssigneeChoicesMixin, CsModelAdmin):
    account_lookup = "account"
    writes = CTA_WRITES  # closed_at follows the status (customers.services.ctas)
    list_display = (
        "title",
        "account",
        "reason",
        "priority",
        "status",
        "owner",
        "due_date",
        "overdue",
        "escalation_level",
        "created_at",
    )
    list_filter = (
        "status",
        "priority",
        "reason",
        OverdueFilter,
        ("owner", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "account__name", "source")
    list_select_related = ("account", "owner")
    autocomplete_fields = ("account",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "closed_at", "details_pretty")
    exclude = ("details",)
    actions = ["mark_done"]

    @admin.display(description="overdue", boolean=True)
    def overdue(self, obj):
        if obj.due_date is None or obj.status in CTA_CLOSED_STATUSES:
            return None
        return obj.due_date < clock.today()

    @admin.display(description="details (from the monitor or campaign)")
    def details_pretty(self, obj):
        return json_block(obj.details)

    @admin.action(description="Mark selected CTAs done", permissions=["change"])
    def mark_done(self, request, queryset):
        actor = admin_actor(request)
        done = 0
        for cta in queryset.exclude(CLOSED_CTA):
            service_call(cta_close, where=str(cta), actor=actor, cta=cta)
            done += 1
        self.message_user(request, f"Marked {done} CTA(s) done.")


@admin.register(Escalation)
class EscalationAdmin(AssigneeChoicesMixin, CsModelAdmin):
    account_lookup = "account"
    # Opened with the severity's SLA deadline; resolving stamps resolved_at.
    writes = ESCALATION_WRITES
    list_display = (
        "summary",
        "account",
        "severity",
        "status",
        "owner",
        "opened_at",
        "sla_due_at",
        "sla_missed",
        "resolved_at",
    )
    list_filter = ("severity", "status")
    search_fields = ("summary", "account__name")
    list_select_related = ("account", "owner")
    autocomplete_fields = ("account",)
    raw_id_fields = ("cta", "ticket")
    date_hierarchy = "opened_at"

    @admin.display(description="SLA missed", boolean=True)
    def sla_missed(self, obj):
        end = obj.resolved_at or (clock.now() if obj.status != EscalationStatus.RESOLVED else None)
        return None if end is None else end > obj.sla_due_at


@admin.register(LifecycleStageChange)
class LifecycleStageChangeAdmin(CsModelAdmin):
    """Stage history is written with the move (account page or tool); never edited."""

    account_lookup = "account"
    read_only = True
    list_display = ("account", "from_stage", "to_stage", "changed_at", "reason", "changed_by")
    list_filter = ("to_stage", "from_stage")
    search_fields = ("account__name", "reason")
    list_select_related = ("account", "changed_by")
    date_hierarchy = "changed_at"
