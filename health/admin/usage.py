# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Usage days (the biggest table: 18 M rows at 100k accounts), features and adoption."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from cs_platform.core.admin.filters import choices_filter
from cs_platform.core.admin.paginators import CappedCountPaginator
from health.models import Feature, FeatureAdoption, UsageDaily
from health.services.records import FEATURE_WRITES
from health.services.usage_ingest import USAGE_WRITES

UsageSourceFilter = choices_filter(
    "source", [("api", "API"), ("mixpanel", "Mixpanel"), ("seed", "Seed")]
)


@admin.register(UsageDaily)
class UsageDailyAdmin(CsModelAdmin):
    account_lookup = "account"
    write_roles = MANAGERS  # usage is ingested; a manager may correct a bad day
    writes = USAGE_WRITES  # the bulk ingestion's rules, for one day
    list_display = ("account", "date", "active_users", "sessions", "events", "minutes", "source")
    list_filter = (UsageSourceFilter,)
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "date"
    # No exact COUNT(*) over millions of rows per page view: capped count, no total.
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100


@admin.register(Feature)
class FeatureAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = FEATURE_WRITES
    list_display = ("name", "key", "category", "is_tracked")
    list_filter = ("is_tracked", "category")
    search_fields = ("name", "key", "category")


@admin.register(FeatureAdoption)
class FeatureAdoptionAdmin(CsModelAdmin):
    """Rolled up from usage events; recomputed, never typed."""

    account_lookup = "account"
    read_only = True
    list_display = (
        "account",
        "feature",
        "first_used_on",
        "last_used_on",
        "events_total",
        "users_last_30d",
    )
    list_filter = ("feature",)
    search_fields = ("account__name", "feature__key", "feature__name")
    list_select_related = ("account", "feature")
    date_hierarchy = "last_used_on"
