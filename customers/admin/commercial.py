# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Contracts, renewals, expansion opportunities and exchange rates."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core import clock
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from cs_platform.core.admin.display import json_block, money_text
from customers.admin.assignees import AssigneeChoicesMixin
from customers.models import Contract, ExchangeRate, ExpansionOpportunity, Renewal, RenewalStage
from customers.services.contracts import CONTRACT_WRITES
from customers.services.money import EXCHANGE_RATE_WRITES
from customers.services.records import EXPANSION_WRITES, RENEWAL_WRITES


@admin.register(Contract)
class ContractAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = CONTRACT_WRITES
    list_display = (
        "name",
        "account",
        "start_date",
        "end_date",
        "arr_with_currency",
        "seats",
        "status",
        "auto_renew",
    )
    list_filter = ("status", "currency", "auto_renew")
    search_fields = ("name", "external_id", "account__name")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    date_hierarchy = "end_date"
    readonly_fields = ("created_at",)

    @admin.display(description="ARR", ordering="arr")
    def arr_with_currency(self, obj):
        return money_text(obj.arr, obj.currency)


@admin.register(Renewal)
class RenewalAdmin(AssigneeChoicesMixin, CsModelAdmin):
    account_lookup = "account"
    writes = RENEWAL_WRITES
    list_display = (
        "account",
        "renewal_date",
        "days_to_renewal",
        "stage",
        "forecast_category",
        "probability",
        "current_arr_with_currency",
        "proposed_arr",
        "outcome",
        "owner",
    )
    list_filter = (
        "stage",
        "forecast_category",
        "outcome",
        ("owner", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("account__name", "notes")
    list_select_related = ("account", "owner")
    autocomplete_fields = ("account",)
    raw_id_fields = ("contract",)
    date_hierarchy = "renewal_date"
    readonly_fields = ("days_to_renewal", "created_at")
    fieldsets = (
        (None, {"fields": ("account", "contract", "owner", "renewal_date", "days_to_renewal")}),
        (
            "Forecast",
            {
                "fields": (
                    "current_arr",
                    "proposed_arr",
                    "currency",
                    "probability",
                    "forecast_category",
                    "stage",
                )
            },
        ),
        ("Outcome", {"fields": ("outcome", "outcome_arr", "closed_on")}),
        ("Notes", {"fields": ("notes", "created_at")}),
    )

    @admin.display(description="days to renewal", ordering="renewal_date")
    def days_to_renewal(self, obj):
        if obj.renewal_date is None or obj.stage == RenewalStage.CLOSED:
            return None
        return (obj.renewal_date - clock.today()).days

    @admin.display(description="current ARR", ordering="current_arr")
    def current_arr_with_currency(self, obj):
        return money_text(obj.current_arr, obj.currency)


@admin.register(ExpansionOpportunity)
class ExpansionOpportunityAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = EXPANSION_WRITES
    list_display = (
        "account",
        "kind",
        "product",
        "amount_with_currency",
        "status",
        "source",
        "created_at",
        "closed_on",
    )
    list_filter = ("kind", "status")
    search_fields = ("account__name", "product", "source")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "rationale_pretty")

    @admin.display(description="amount", ordering="amount")
    def amount_with_currency(self, obj):
        return money_text(obj.amount, obj.currency)

    @admin.display(description="rationale (stored)")
    def rationale_pretty(self, obj):
        return json_block(obj.rationale)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(CsModelAdmin):
    """Rates into the reporting currency; a correction is a newer row (rates are dated)."""

    writes = EXCHANGE_RATE_WRITES
    write_roles = MANAGERS
    list_display = ("base", "quote", "rate", "valid_from", "source", "created_at")
    list_filter = ("base", "quote")
    ordering = ("base", "-valid_from")
