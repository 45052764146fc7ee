"""The audit trail, read-only: nobody adds, edits or deletes an event, superusers included
(an edited row would break the hash chain; `verify_audit_chain` would say so)."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEvent
from cs_platform.core.admin.base import CsModelAdmin
from cs_platform.core.admin.display import json_block
from cs_platform.core.admin.paginators import CappedCountPaginator
from cs_platform.core.models import Role


@admin.register(AuditEvent)
class AuditEventAdmin(CsModelAdmin):
    read_only = True
    view_roles = (Role.MANAGER, Role.VIEWER)
    list_display = (
        "occurred_at",
        "actor_label",
        "channel",
        "action",
        "object_type",
        "object_id",
        "account_id",
    )
    list_filter = ("channel",)
    search_fields = ("action", "actor_label", "object_type", "object_id")
    search_help_text = "Action, actor, object type or object id"
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-id",)
    fields = (
        "occurred_at",
        "actor_label",
        "actor",
        "channel",
        "action",
        "object_type",
        "object_id",
        "account_id",
        "changes_pretty",
        "chain",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        # An account id typed into the search box finds that account's events (indexed).
        if search_term.strip().isdigit():
            return queryset.filter(account_id=int(search_term)) | queryset.filter(
                object_id=search_term.strip()
            ), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="changes")
    def changes_pretty(self, obj):
        return json_block(obj.changes)
