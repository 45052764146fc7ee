# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""The account: the CSM's main page, its 360 (changelist columns and filters for a day's
work, with health and support tickets; inlines for everything hanging off it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join

from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, admin_actor
from cs_platform.core.admin.display import band_badge, datetime_text, money_text
from cs_platform.core.models import Role
from cs_platform.core.records import WriteServices, as_row
from customers.models import Account
from customers.selectors.money import reporting_currency
from customers.services.accounts import (
    UPDATABLE_FIELDS,
    account_create,
    account_delete,
    account_update,
)
from health.selectors.snapshots import health_summaries
from portfolio.admin.account_page import AccountPageMixin
from portfolio.admin.filters import HealthBandFilter, RenewalWindowFilter
from portfolio.admin.inlines import (
    ContactInline,
    ContractInline,
    CtaInline,
    RenewalInline,
    SupportTicketInline,
)
from portfolio.selectors.listing import account_signals_annotate

# (label, admin changelist url name, lookup from that model to the account)
RELATED_LISTS = (
    ("Contacts", "customers_contact", "account"),
    ("Contracts", "customers_contract", "account"),
    ("Renewals", "customers_renewal", "account"),
    ("CTAs", "customers_cta", "account"),
    ("Activities", "customers_activity", "account"),
    ("Support tickets", "integrations_supportticket", "account"),
    ("Usage days", "health_usagedaily", "account"),
    ("Health snapshots", "health_healthscore", "account"),
    ("Survey responses", "health_surveyresponse", "account"),
    ("E-mails", "integrations_emailmessage", "account"),
    ("Stage history", "customers_lifecyclestagechange", "account"),
)


class AccountAdminForm(forms.ModelForm):
    stage_change_reason = forms.CharField(
        max_length=300,
        required=False,
        help_text="Required when the lifecycle stage changes; kept in the stage history.",
    )

    class Meta:
        model = Account
        fields = (
            "name",
            "domain",
            "owner",
            "parent",
            "tier",
            "industry",
            "region",
            "lifecycle_stage",
            "status",
            "customer_since",
            "churned_on",
            "arr",
            "currency",
            "seats_licensed",
            "payment_status",
            "zendesk_org_id",
            "intercom_company_id",
            "mixpanel_group_id",
            "notes",
        )

    def clean(self):
        cleaned = super().clean()
        stage_changed = self.instance.pk is not None and "lifecycle_stage" in self.changed_data
        if stage_changed and not (cleaned.get("stage_change_reason") or "").strip():
            self.add_error("stage_change_reason", "Say why the lifecycle stage changes.")
        return cleaned


def _reason(fields: dict[str, Any]) -> str:
    return fields.pop("stage_change_reason", "") or ""


def _account_create(*, actor: Actor, fields: dict[str, Any]) -> Account:
    reason = _reason(fields) or "Created in the admin"
    return account_create(actor=actor, fields=fields, stage_reason=reason)


def _account_update(*, actor: Actor, instance: Account, changes: dict[str, Any]) -> Any:
    reason = _reason(changes)
    return account_update(actor=actor, account=instance, changes=changes, stage_reason=reason)


# A stage move needs the reason typed beside it; the lifecycle service writes the history.
ACCOUNT_WRITES = WriteServices(
    create=_account_create,
    update=_account_update,
    delete=as_row("account", account_delete),
    create_fields=UPDATABLE_FIELDS,
    update_fields=UPDATABLE_FIELDS,
)


@admin.register(Account)
class AccountAdmin(AccountPageMixin, CsModelAdmin):
    account_lookup = ""
    delete_roles = MANAGERS  # deleting an account deletes its whole history
    writes = ACCOUNT_WRITES
    form = AccountAdminForm
    form_only_fields = ("stage_change_reason",)
    list_display = (
        "name",
        "owner",
        "tier",
        "lifecycle_stage",
        "status",
        "arr_with_currency",
        "seats_licensed",
        "health_score",
        "health_band",
        "health_coverage",
        "days_to_renewal",
        "open_ctas",
    )
    list_filter = (
        "tier",
        "lifecycle_stage",
        "status",
        ("owner", admin.RelatedOnlyFieldListFilter),
        "industry",
        "payment_status",
        HealthBandFilter,
        RenewalWindowFilter,
    )
    search_fields = ("name", "domain", "contacts__email")
    search_help_text = "Name, domain or a contact's e-mail address"
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    autocomplete_fields = ("parent",)
    readonly_fields = (
        "health_score",
        "health_band",
        "health_coverage",
        "health_missing",
        "health_as_of",
        "days_to_renewal",
        "open_ctas",
        "created_at",
        "updated_at",
        "related_lists",
    )
    fieldsets = (
        (None, {"fields": ("name", "domain", "owner", "parent", "tier", "industry", "region")}),
        (
            "Lifecycle",
            {
                "fields": (
                    "lifecycle_stage",
                    "stage_change_reason",
                    "status",
                    "customer_since",
                    "churned_on",
                )
            },
        ),
        ("Commercial", {"fields": ("arr", "currency", "seats_licensed", "payment_status")}),
        (
            "Health and renewal",
            {
                "fields": (
                    "health_score",
                    "health_band",
                    "health_coverage",
                    "health_missing",
                    "health_as_of",
                    "days_to_renewal",
                    "open_ctas",
                )
            },
        ),
        (
            "External ids",
            {
                "classes": ("collapse",),
                "fields": ("zendesk_org_id", "intercom_company_id", "mixpanel_group_id"),
            },
        ),
        ("Notes", {"fields": ("notes",)}),
        ("Record", {"fields": ("related_lists", "created_at", "updated_at")}),
    )
    inlines = [ContactInline, ContractInline, RenewalInline, SupportTicketInline, CtaInline]

    def get_queryset(self, request):
        return account_signals_annotate(super().get_queryset(request), open_ctas=True)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if admin_actor(request).role != Role.MANAGER:
            return (*readonly, "owner")  # only a CS manager reassigns a book
        return readonly

    @admin.display(description="ARR", ordering="arr_reporting")
    def arr_with_currency(self, obj):
        """The billed amount, and what it is in the reporting currency when different
        (the column sorts by the latter, so currencies compare like with like)."""
        billed = money_text(obj.arr, obj.currency)
        if obj.currency == reporting_currency():
            return billed
        converted = money_text(obj.arr_reporting, reporting_currency()) or "no rate"
        return f"{billed} (≈ {converted})"

    @admin.display(description="health", ordering="health_score")
    def health_score(self, obj):
        return getattr(obj, "health_score", None)

    @admin.display(description="band", ordering="health_band")
    def health_band(self, obj):
        return band_badge(getattr(obj, "health_band", None))

    @admin.display(description="coverage", ordering="health_coverage")
    def health_coverage(self, obj):
        """Share of the scorecard's weight backed by data: below the scorecard's floor the
        band reads insufficient_data, and this says how far off it is."""
        coverage = getattr(obj, "health_coverage", None)
        return None if coverage is None else f"{coverage * 100:.0f} %"

    @admin.display(description="measures without data")
    def health_missing(self, obj):
        if obj.pk is None:
            return None
        summary = health_summaries([obj.pk]).get(obj.pk)
        if summary is None:
            return "not scored yet"
        return ", ".join(summary.missing) or "none"

    @admin.display(description="health as of")
    def health_as_of(self, obj):
        return datetime_text(getattr(obj, "health_as_of", None))

    @admin.display(description="days to renewal", ordering="next_renewal_date")
    def days_to_renewal(self, obj):
        renewal_date = getattr(obj, "next_renewal_date", None)
        if renewal_date is None:
            return None
        return (renewal_date - clock.today()).days

    @admin.display(description="open CTAs", ordering="open_cta_count")
    def open_ctas(self, obj):
        return getattr(obj, "open_cta_count", None)

    @admin.display(description="everything for this account")
    def related_lists(self, obj):
        if obj.pk is None:
            return None
        links = [
            (reverse(f"admin:{url}_changelist") + f"?{lookup}__id__exact={obj.pk}", label)
            for label, url, lookup in RELATED_LISTS
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)


__all__ = ["AccountAdmin"]
