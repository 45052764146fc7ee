# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""The working side of an account: activities, CTAs, escalations, stage history and
campaigns."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q

from cs_platform.core import clock
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, CsTabularInline
from cs_platform.core.admin.display import json_block
from customers.models import (
    CTA,
    Activity,
    Campaign,
    CampaignEnrollment,
    CtaStatus,
    EnrollmentStatus,
    Escalation,
    EscalationStatus,
    LifecycleStageChange,
)

CLOSED_CTA = (CtaStatus.DONE, CtaStatus.DISMISSED)


@admin.register(Activity)
class ActivityAdmin(CsModelAdmin):
    account_lookup = "account"
    list_display = ("occurred_at", "kind", "subject", "account", "contact", "author")
    list_filter = ("kind",)
    search_fields = ("subject", "body", "account__name")
    list_select_related = ("account", "contact", "author")
    autocomplete_fields = ("account", "contact")
    raw_id_fields = ("author",)
    date_hierarchy = "occurred_at"

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due today"), ("none", "No due date")]

    def queryset(self, request, queryset):
        today = clock.today()
        open_rows = queryset.exclude(status__in=CLOSED_CTA)
        if self.value() == "overdue":
            return open_rows.filter(due_date__lt=today)
        if self.value() == "today":
            return open_rows.filter(due_date=today)
        if self.value() == "none":
            return queryset.filter(due_date__isnull=True)
        return queryset


@admin.register(CTA)
class CtaAdmin(CsModelAdmin):
    account_lookup = "account"
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
    raw_id_fields = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "closed_at", "details_pretty")
    exclude = ("details",)
    actions = ["mark_done"]

    @admin.display(description="overdue", boolean=True)
    def overdue(self, obj):
        if obj.due_date is None or obj.status in CLOSED_CTA:
            return None
        return obj.due_date < clock.today()

    @admin.display(description="details (from the monitor or campaign)")
    def details_pretty(self, obj):
        return json_block(obj.details)

    def save_model(self, request, obj, form, change):
        # closed_at follows the status, so "time to close" is measured, not typed.
        if obj.status in CLOSED_CTA and obj.closed_at is None:
            obj.closed_at = clock.now()
        elif obj.status not in CLOSED_CTA:
            obj.closed_at = None
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark selected CTAs done", permissions=["change"])
    def mark_done(self, request, queryset):
        now = clock.now()
        done = 0
        for cta in queryset.exclude(status__in=CLOSED_CTA):
            with self._atomic(CTA):
                before = {"status": cta.status, "closed_at": None}
                cta.status, cta.closed_at = CtaStatus.DONE, now
                cta.save(update_fields=["status", "closed_at"])
                after = {"status": cta.status, "closed_at": now}
                diff = {k: {"before": before[k], "after": after[k]} for k in before}
                self.audit_record(request, verb="change", obj=cta, diff=diff)
            done += 1
        self.message_user(request, f"Marked {done} CTA(s) done.")


@admin.register(Escalation)
class EscalationAdmin(CsModelAdmin):
    account_lookup = "account"
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
    raw_id_fields = ("cta", "ticket", "owner")
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


class CampaignEnrollmentInline(CsTabularInline):
    model = CampaignEnrollment
    fields = ("account", "status", "enrolled_at", "exited_at")
    readonly_fields = ("account",)
    row_ordering = ("-enrolled_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False  # enrol from the enrollment page, where the account is searchable

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Campaign)
class CampaignAdmin(CsModelAdmin):
    write_roles = MANAGERS
    list_display = ("name", "kind", "status", "active_enrollments", "created_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)
    inlines = [CampaignEnrollmentInline]

    def get_queryset(self, request):
        active = Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
        return super().get_queryset(request).annotate(active_enrollment_count=active)

    @admin.display(description="active enrollments", ordering="active_enrollment_count")
    def active_enrollments(self, obj):
        return obj.active_enrollment_count

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CampaignEnrollment)
class CampaignEnrollmentAdmin(CsModelAdmin):
    account_lookup = "account"
    list_display = ("account", "campaign", "status", "enrolled_at", "exited_at")
    list_filter = ("status", "campaign")
    search_fields = ("account__name", "campaign__name")
    list_select_related = ("account", "campaign")
    autocomplete_fields = ("account",)
    date_hierarchy = "enrolled_at"
