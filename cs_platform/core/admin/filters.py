"""Shared changelist filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


def choices_filter(
    field_name: str, choices: Sequence[tuple[str, str]], *, title: str | None = None
) -> type[admin.SimpleListFilter]:
    """A filter with fixed choices for a free-text column.

    Django's default for such a column lists its distinct values, which scans the whole
    table on every page view; on snapshot and usage tables that costs seconds.
    """

    class FixedChoicesFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return list(choices)

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            return queryset.filter(**{field_name: value}) if value else queryset

    FixedChoicesFilter.title = title or field_name.replace("_", " ")
    FixedChoicesFilter.__name__ = f"{field_name.title().replace('_', '')}Filter"
    return FixedChoicesFilter


LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
