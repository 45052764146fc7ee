# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Campaigns and their enrolments (customers' models, written by health's campaign
services: trigger rules and actions are validated there, and enrolling raises the
campaign's CTA exactly as the retention tools do)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, CsTabularInline, account_scope_q
from customers.models import Campaign, CampaignEnrollment, EnrollmentStatus
from health.services.campaigns import CAMPAIGN_WRITES, ENROLLMENT_WRITES


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
    writes = CAMPAIGN_WRITES  # created_by is whoever creates it
    list_display = ("name", "kind", "status", "active_enrollments", "created_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)
    inlines = [CampaignEnrollmentInline]

    def get_queryset(self, request):
        # A CSM counts their own book's enrolments, as the inline lists only those.
        active = Count(
            "enrollments",
            filter=Q(enrollments__status=EnrollmentStatus.ACTIVE)
            & account_scope_q(request, "enrollments__account"),
        )
        return super().get_queryset(request).annotate(active_enrollment_count=active)

    @admin.display(description="active enrollments", ordering="active_enrollment_count")
    def active_enrollments(self, obj):
        return obj.active_enrollment_count


@admin.register(CampaignEnrollment)
class CampaignEnrollmentAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = ENROLLMENT_WRITES
    list_display = ("account", "campaign", "status", "enrolled_at", "exited_at")
    list_filter = ("status", "campaign")
    search_fields = ("account__name", "campaign__name")
    list_select_related = ("account", "campaign")
    autocomplete_fields = ("account",)
    date_hierarchy = "enrolled_at"
