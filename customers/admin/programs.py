# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Community and advocacy programs, their members and the points ledger."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, Sum

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, CsTabularInline, account_scope_q
from customers.models import Program, ProgramContribution, ProgramMember
from customers.services.records import CONTRIBUTION_WRITES, PROGRAM_MEMBER_WRITES, PROGRAM_WRITES


@admin.register(Program)
class ProgramAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = PROGRAM_WRITES
    list_display = ("name", "key", "kind", "is_active", "current_members")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "key")
    prepopulated_fields = {"key": ("name",)}

    def get_queryset(self, request):
        # A CSM counts their own book's members.
        current = Count(
            "members",
            filter=Q(members__left_at__isnull=True)
            & account_scope_q(request, "members__contact__account"),
        )
        return super().get_queryset(request).annotate(current_member_count=current)

    @admin.display(description="current members", ordering="current_member_count")
    def current_members(self, obj):
        return obj.current_member_count


class ContributionInline(CsTabularInline):
    """The points ledger is append-only: rows are added, never edited or removed."""

    model = ProgramContribution
    append_only = True
    fields = ("kind", "points", "occurred_at", "note")
    row_ordering = ("-occurred_at", "-id")


@admin.register(ProgramMember)
class ProgramMemberAdmin(CsModelAdmin):
    account_lookup = "contact__account"
    writes = PROGRAM_MEMBER_WRITES
    list_display = ("contact", "account", "program", "level", "points", "joined_at", "left_at")
    list_filter = ("program", "level", ("left_at", admin.EmptyFieldListFilter))
    search_fields = ("contact__email", "contact__last_name", "contact__account__name")
    list_select_related = ("contact__account", "program")
    autocomplete_fields = ("contact",)
    date_hierarchy = "joined_at"
    readonly_fields = ("points",)
    inlines = [ContributionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(points_balance=Sum("contributions__points"))

    @admin.display(description="account", ordering="contact__account__name")
    def account(self, obj):
        return obj.contact.account

    @admin.display(description="points balance", ordering="points_balance")
    def points(self, obj):
        return getattr(obj, "points_balance", None) or 0


@admin.register(ProgramContribution)
class ProgramContributionAdmin(CsModelAdmin):
    account_lookup = "member__contact__account"
    append_only = True
    writes = CONTRIBUTION_WRITES
    list_display = ("member_contact", "program", "kind", "points", "occurred_at", "note")
    list_filter = ("kind", "member__program")
    search_fields = ("member__contact__email", "member__contact__account__name", "note")
    list_select_related = ("member__contact", "member__program")
    raw_id_fields = ("member",)
    date_hierarchy = "occurred_at"

    @admin.display(description="contact", ordering="member__contact__email")
    def member_contact(self, obj):
        return obj.member.contact

    @admin.display(description="program", ordering="member__program__name")
    def program(self, obj):
        return obj.member.program
