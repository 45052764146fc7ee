# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Per-feature daily events as exported by a connection (the source of feature adoption)."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import CsModelAdmin
from cs_platform.core.admin.paginators import CappedCountPaginator
from integrations.admin.connections import SECRET_COLUMNS, ConnectionFilter
from integrations.models import FeatureUsageDay


@admin.register(FeatureUsageDay)
class FeatureUsageDayAdmin(CsModelAdmin):
    """Written by the Mixpanel sync; a re-exported day replaces its row. Read here."""

    account_lookup = "account"
    read_only = True
    list_display = ("account", "feature", "date", "events", "connection")
    list_filter = (ConnectionFilter,)
    list_select_related = ("account", "feature", "connection")
    date_hierarchy = "date"
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("account", "feature", "connection")
            .defer(*(f"connection__{c}" for c in SECRET_COLUMNS))
        )
