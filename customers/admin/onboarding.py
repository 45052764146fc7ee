# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Onboarding plans and milestones, their templates and reminders, training modules,
sessions with their attendance, and completions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q

from cs_platform.core.admin.base import MANAGERS, WORK_ROLES, CsModelAdmin, CsTabularInline
from cs_platform.core.admin.writes import admin_actor
from cs_platform.core.errors import DomainError
from customers.admin.assignees import AssigneeChoicesMixin
from customers.models import (
    MilestoneStatus,
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingReminder,
    OnboardingTemplate,
    OnboardingTemplateMilestone,
    SessionStatus,
    TrainingAttendance,
    TrainingCompletion,
    TrainingModule,
    TrainingSession,
)
from customers.services.onboarding import session_cancel
from customers.services.records import (
    MILESTONE_WRITES,
    ONBOARDING_PLAN_WRITES,
    TRAINING_COMPLETION_WRITES,
    TRAINING_MODULE_WRITES,
)


class MilestoneInline(CsTabularInline):
    model = OnboardingMilestone
    # depends_on is edited on the milestone's own page: a multi-select per row would load
    # every milestone of every plan once per row.
    fields = ("position", "key", "name", "status", "due_date", "started_at", "completed_at")
    max_rows = 100
    row_ordering = ("position", "id")


@admin.register(OnboardingPlan)
class OnboardingPlanAdmin(AssigneeChoicesMixin, CsModelAdmin):
    account_lookup = "account"
    writes = ONBOARDING_PLAN_WRITES
    list_display = (
        "account",
        "template",
        "status",
        "owner",
        "progress",
        "started_on",
        "target_date",
        "completed_on",
    )
    list_filter = ("status", "template")
    search_fields = ("account__name", "template")
    list_select_related = ("account", "owner")
    autocomplete_fields = ("account",)
    date_hierarchy = "target_date"
    readonly_fields = ("progress", "created_at")
    inlines = [MilestoneInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                milestones_total=Count("milestones"),
                milestones_done=Count(
                    "milestones", filter=Q(milestones__status=MilestoneStatus.DONE)
                ),
            )
        )

    @admin.display(description="milestones done")
    def progress(self, obj):
        total = getattr(obj, "milestones_total", None)
        if not total:
            return None
        return f"{obj.milestones_done}/{total}"


@admin.register(OnboardingMilestone)
class OnboardingMilestoneAdmin(CsModelAdmin):
    account_lookup = "plan__account"
    writes = MILESTONE_WRITES
    list_display = ("name", "plan", "account", "position", "status", "due_date", "completed_at")
    list_filter = ("status",)
    search_fields = ("name", "key", "plan__account__name")
    list_select_related = ("plan__account",)
    raw_id_fields = ("plan", "depends_on")
    date_hierarchy = "due_date"

    @admin.display(description="account", ordering="plan__account__name")
    def account(self, obj):
        return obj.plan.account


@admin.register(TrainingModule)
class TrainingModuleAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = TRAINING_MODULE_WRITES
    list_display = ("title", "key", "duration_minutes", "grants_certification")
    list_filter = ("grants_certification",)
    search_fields = ("title", "key")
    prepopulated_fields = {"key": ("title",)}


@admin.register(TrainingCompletion)
class TrainingCompletionAdmin(CsModelAdmin):
    account_lookup = "contact__account"
    writes = TRAINING_COMPLETION_WRITES
    list_display = (
        "contact",
        "account",
        "module",
        "completed_at",
        "score",
        "certified",
        "certification_revoked_at",
    )
    list_filter = ("module", "certified", ("certification_revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("contact__email", "contact__account__name", "module__title")
    list_select_related = ("contact__account", "module")
    autocomplete_fields = ("contact",)
    date_hierarchy = "completed_at"

    @admin.display(description="account", ordering="contact__account__name")
    def account(self, obj):
        return obj.contact.account


class TemplateMilestoneInline(CsTabularInline):
    model = OnboardingTemplateMilestone
    read_only = True
    fields = ("position", "key", "name", "due_offset_days", "owner", "depends_on")
    readonly_fields = fields
    max_rows = 100
    row_ordering = ("position", "id")


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(CsModelAdmin):
    """Created with their milestones by `template_create` (the onboarding tools); a plan
    copies one when it starts, so a template is shown here, not edited."""

    read_only = True
    list_display = ("name", "key", "tier", "target_ttv_days", "is_active", "created_at")
    list_filter = ("is_active", "tier")
    search_fields = ("name", "key")
    inlines = [TemplateMilestoneInline]


@admin.register(OnboardingReminder)
class OnboardingReminderAdmin(CsModelAdmin):
    """What the onboarding automation sent (at most once per milestone and window)."""

    account_lookup = "milestone__plan__account"
    read_only = True
    list_display = ("milestone", "account", "kind", "window", "recipient", "sent_at")
    list_filter = ("kind",)
    search_fields = ("milestone__name", "milestone__plan__account__name")
    list_select_related = ("milestone__plan__account", "recipient")
    date_hierarchy = "sent_at"

    @admin.display(description="account", ordering="milestone__plan__account__name")
    def account(self, obj):
        return obj.milestone.plan.account


class AttendanceInline(CsTabularInline):
    model = TrainingAttendance
    read_only = True
    fields = ("contact", "status", "score")
    readonly_fields = fields
    max_rows = 100
    row_ordering = ("id",)


@admin.register(TrainingSession)
class TrainingSessionAdmin(CsModelAdmin):
    """Scheduled and recorded through the training tools (`session_schedule`,
    `session_attendance_record`: attendance writes completions); cancelled here by action,
    through `session_cancel`."""

    account_lookup = "account"
    read_only = True
    list_display = (
        "module",
        "account",
        "scheduled_at",
        "duration_minutes",
        "trainer",
        "status",
        "delivered_at",
    )
    list_filter = ("status", "module")
    search_fields = ("account__name", "module__title")
    list_select_related = ("account", "module", "trainer")
    date_hierarchy = "scheduled_at"
    inlines = [AttendanceInline]
    actions = ["cancel_sessions"]

    def has_cancel_permission(self, request):
        return self._role_in(request, WORK_ROLES) and admin_actor(request).can_write()

    @admin.action(description="Cancel selected sessions", permissions=["cancel"])
    def cancel_sessions(self, request, queryset):
        actor = admin_actor(request)
        cancelled, refused = 0, []
        for session in queryset.exclude(status=SessionStatus.CANCELLED):
            try:
                session_cancel(actor=actor, session=session)
            except DomainError as error:
                refused.append(f"{session}: {error.message}")
                continue
            cancelled += 1
        self.message_user(request, f"Cancelled {cancelled} session(s).")
        for line in refused:
            self.message_user(request, line, level=messages.ERROR)


@admin.register(TrainingAttendance)
class TrainingAttendanceAdmin(CsModelAdmin):
    account_lookup = "session__account"
    read_only = True  # recorded with the session (`session_attendance_record`)
    list_display = ("contact", "session", "status", "score")
    list_filter = ("status",)
    search_fields = ("contact__email", "session__account__name")
    list_select_related = ("contact", "session")
