"""Consent history, data-subject requests and retention policies.

Consent is a history: rows are appended (the newest per contact and purpose is in force),
never edited. Requests are processed by the GDPR commands, which record their result;
here they are read.
"""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core import clock
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from cs_platform.core.admin.display import json_block
from gdpr.models import (
    ConsentRecord,
    DataSubjectRequest,
    RequestStatus,
    RetentionPolicy,
    RetentionRun,
)
from gdpr.services import CONSENT_WRITES, RETENTION_POLICY_WRITES


@admin.register(ConsentRecord)
class ConsentRecordAdmin(CsModelAdmin):
    account_lookup = "contact__account"
    append_only = True
    writes = CONSENT_WRITES
    list_display = ("contact", "account", "purpose", "granted", "source", "recorded_at")
    list_filter = ("purpose", "granted")
    search_fields = ("contact__email", "contact__account__name", "source")
    list_select_related = ("contact__account",)
    autocomplete_fields = ("contact",)
    date_hierarchy = "recorded_at"

    def get_changeform_initial_data(self, request):
        return {
            "recorded_at": clock.now(),
            "source": "admin",
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description="account", ordering="contact__account__name")
    def account(self, obj):
        return obj.contact.account


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(CsModelAdmin):
    view_roles = MANAGERS
    read_only = True
    list_display = (
        "subject_email",
        "kind",
        "status",
        "requested_at",
        "due_at",
        "overdue",
        "completed_at",
        "handled_by",
    )
    list_filter = ("kind", "status")
    search_fields = ("subject_email",)
    list_select_related = ("handled_by",)
    date_hierarchy = "requested_at"
    exclude = ("result",)
    readonly_fields = ("result_pretty",)

    @admin.display(description="overdue", boolean=True)
    def overdue(self, obj):
        if obj.status != RequestStatus.RECEIVED:
            return None
        return obj.due_at < clock.now()

    @admin.display(description="result")
    def result_pretty(self, obj):
        return json_block(obj.result)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(CsModelAdmin):
    view_roles = MANAGERS
    write_roles = MANAGERS
    writes = RETENTION_POLICY_WRITES
    list_display = ("data_category", "retain_days", "action", "enabled", "last_applied_at")
    list_filter = ("action", "enabled")
    search_fields = ("data_category",)
    readonly_fields = ("last_applied_at",)


@admin.register(RetentionRun)
class RetentionRunAdmin(CsModelAdmin):
    """Retention reports: what the policies would change (planned) and what they did
    (applied). Applied by the daily task after the grace period, or `gdpr_retention
    --confirm`; read here."""

    view_roles = MANAGERS
    read_only = True
    list_display = ("id", "status", "planned_at", "apply_after", "applied_at", "confirmed_by")
    list_filter = ("status",)
    list_select_related = ("confirmed_by",)
    exclude = ("report", "applied")
    readonly_fields = ("report_pretty", "applied_pretty")

    @admin.display(description="would change")
    def report_pretty(self, obj):
        return json_block(obj.report)

    @admin.display(description="changed")
    def applied_pretty(self, obj):
        return json_block(obj.applied)
