"""Keyset (cursor) pagination for the resource API: no OFFSET, no COUNT(*).

A view names a stable, unique ordering in `keyset_ordering` (e.g. `("date", "id")` or
`("-opened_at", "-id")`); the cursor carries the last row's values of those fields, so
page N costs the same as page 1 and rows inserted meanwhile never shift a page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from cs_platform.core import clock
from cs_platform.core.contracts import cursor_decode, cursor_encode
from cs_platform.core.errors import field_error

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _field_name(key: str) -> str:
    return key.removeprefix("-")


def keyset_after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering`: (a > x) OR (a = x AND b > y) OR …"""
    condition = Q()
    equal_so_far = Q()
    for key, value in zip(ordering, values, strict=True):
        name = _field_name(key)
        op = "lt" if key.startswith("-") else "gt"
        condition |= equal_so_far & Q(**{f"{name}__{op}": value})
        equal_so_far &= Q(**{name: value})
    return condition


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class KeysetPagination(BasePagination):
    """`?limit=` (1–200, default 50) and `?cursor=`; answers `{results, next, as_of}`."""

    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return DEFAULT_LIMIT
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise field_error(
                self.limit_query_param, f"must be an integer from 1 to {MAX_LIMIT}", code="range"
            )
        return limit

    def _position(
        self, request: Request, ordering: tuple[str, ...], model: type[Model]
    ) -> list[Any] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        decoded = cursor_decode(raw, required_keys=("o", "v"))
        if decoded["o"] != list(ordering) or len(decoded["v"]) != len(ordering):
            raise field_error(self.cursor_query_param, "is not a cursor returned by this list")
        try:
            return [
                model._meta.get_field(_field_name(key)).to_python(value)
                for key, value in zip(ordering, decoded["v"], strict=True)
            ]
        except (DjangoValidationError, TypeError) as exc:
            raise field_error(
                self.cursor_query_param, "is not a cursor returned by this list"
            ) from exc

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        ordering = tuple(getattr(view, "keyset_ordering", ("id",)))
        self.request = request
        limit = self._limit(request)
        position = self._position(request, ordering, queryset.model)
        qs = queryset.order_by(*ordering)
        if position is not None:
            qs = qs.filter(keyset_after(ordering, position))
        # Taken before the read, so `as_of` never claims more freshness than the rows have.
        self.as_of = clock.now()
        rows = list(qs[: limit + 1])
        page, has_next = rows[:limit], len(rows) > limit
        self.next_cursor = None
        if has_next:
            last = page[-1]
            values = [_jsonable(getattr(last, _field_name(key))) for key in ordering]
            self.next_cursor = cursor_encode({"o": list(ordering), "v": values})
        return page

    def get_next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"results": data, "next": self.get_next_link(), "as_of": self.as_of.isoformat()}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next", "as_of"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "URL of the next page; null on the last page.",
                },
                "as_of": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When these rows were read.",
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque cursor taken from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "in": "query",
                "required": False,
                "description": f"Page size, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
            },
        ]
