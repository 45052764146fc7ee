# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Outbox rows: provider calls made after commit, with their attempts and outcomes.

A record for operators (what is pending, what failed and why); rows are written only by
the services and the delivery task. They reach accounts by two paths (ticket, e-mail), so
the page is for managers, who see every account.
"""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from integrations.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(CsModelAdmin):
    read_only = True
    view_roles = MANAGERS
    list_display = (
        "id",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "error_code",
        "provider_id",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "kind", "error_code")
    search_fields = ("provider_id", "idempotency_key")
    search_help_text = "Provider id or idempotency key"
    date_hierarchy = "created_at"
    show_full_result_count = False
    raw_id_fields = ("ticket", "email_message", "comment", "connection")
