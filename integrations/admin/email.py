# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""E-mails sent to contacts (through the SendGrid service) and their delivery events."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import CsModelAdmin, CsTabularInline
from cs_platform.core.admin.display import json_block
from cs_platform.core.admin.filters import choices_filter
from integrations.models import EmailEvent, EmailMessage

# SendGrid event webhook types; a fixed list, so the filter does not scan the table.
SENDGRID_EVENTS = (
    "processed",
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "spamreport",
    "unsubscribe",
)


class EmailEventInline(CsTabularInline):
    model = EmailEvent
    read_only = True
    fields = ("occurred_at", "event", "email", "provider_event_id")
    readonly_fields = fields
    row_ordering = ("-occurred_at", "-id")


@admin.register(EmailMessage)
class EmailMessageAdmin(CsModelAdmin):
    """Sent mail is a record: it is sent by the e-mail tool, never written here."""

    account_lookup = "account"
    read_only = True
    list_display = ("subject", "to_email", "account", "status", "sent_by", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject", "to_email", "account__name", "provider_message_id")
    list_select_related = ("account", "sent_by")
    date_hierarchy = "created_at"
    exclude = ("connection",)
    inlines = [EmailEventInline]


@admin.register(EmailEvent)
class EmailEventAdmin(CsModelAdmin):
    account_lookup = "message__account"
    read_only = True
    list_display = ("event", "email", "message", "occurred_at")
    list_filter = (choices_filter("event", [(e, e) for e in SENDGRID_EVENTS]),)
    search_fields = ("email", "provider_event_id")
    list_select_related = ("message",)
    date_hierarchy = "occurred_at"
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return json_block(obj.payload)
