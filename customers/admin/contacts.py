# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Contacts: the people at each account (the account page itself is portfolio.admin)."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import CsModelAdmin
from customers.models import Contact
from customers.services.contacts import CONTACT_WRITES


@admin.register(Contact)
class ContactAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = CONTACT_WRITES  # an erased contact is refused by contact_update
    list_display = (
        "display_name",
        "email",
        "account",
        "title",
        "role",
        "is_primary",
        "email_opt_out",
        "last_seen_at",
        "erased",
    )
    list_filter = (
        "role",
        "is_primary",
        "email_opt_out",
        ("erased_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email", "first_name", "last_name", "account__name")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    readonly_fields = ("erased_at", "last_seen_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("account", "first_name", "last_name", "email", "title", "phone")}),
        ("Role", {"fields": ("role", "is_primary", "email_opt_out")}),
        (
            "External ids",
            {
                "classes": ("collapse",),
                "fields": ("external_id", "intercom_contact_id", "zendesk_user_id"),
            },
        ),
        ("Record", {"fields": ("last_seen_at", "erased_at", "created_at", "updated_at")}),
    )

    @admin.display(description="name", ordering="last_name")
    def display_name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip() or None

    @admin.display(description="erased", boolean=True)
    def erased(self, obj):
        return obj.erased_at is not None
