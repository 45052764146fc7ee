# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Onboarding plans and milestones, training modules and completions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, CsTabularInline
from customers.admin.assignees import AssigneeChoicesMixin
from customers.models import (
    MilestoneStatus,
    OnboardingMilestone,
    OnboardingPlan,
    TrainingCompletion,
    TrainingModule,
)
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
