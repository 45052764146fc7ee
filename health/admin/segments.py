# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Segments (stored rules) and their membership history (written by evaluation)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, account_scope_q
from health.models import Segment, SegmentMembership
from health.services.segments import SEGMENT_WRITES


@admin.register(Segment)
class SegmentAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = SEGMENT_WRITES  # rules validated in the segment rule language
    list_display = ("name", "key", "is_active", "current_members", "evaluated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "key", "description")
    prepopulated_fields = {"key": ("name",)}
    readonly_fields = ("evaluated_at", "created_at")

    def get_queryset(self, request):
        # A CSM counts their own book's members.
        current = Count(
            "memberships",
            filter=Q(memberships__exited_at__isnull=True)
            & account_scope_q(request, "memberships__account"),
        )
        return super().get_queryset(request).annotate(current_member_count=current)

    @admin.display(description="current members", ordering="current_member_count")
    def current_members(self, obj):
        return obj.current_member_count


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(CsModelAdmin):
    account_lookup = "account"
    read_only = True
    list_display = ("account", "segment", "entered_at", "exited_at", "current")
    list_filter = ("segment", ("exited_at", admin.EmptyFieldListFilter))
    search_fields = ("account__name", "segment__name")
    list_select_related = ("account", "segment")
    date_hierarchy = "entered_at"

    @admin.display(description="current", boolean=True)
    def current(self, obj):
        return obj.exited_at is None
