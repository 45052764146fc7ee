"""Small, validated query-parameter filters for list endpoints (django-filter is not used).

A view declares `query_filters = (QueryFilter(...), ...)`. Every parameter is parsed
before any row is read; a bad value, a repeated parameter or an unknown name answers
400 `invalid_input` with one entry per offending parameter, because a silently ignored
typo (`?teir=smb`) would return a broader list than the caller asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Choices, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.request import Request

from cs_platform.core.contracts import UNSTORABLE_MESSAGE, UNSTORABLE_TEXT
from cs_platform.core.errors import InvalidInput

# Parameters owned by pagination and DRF's renderer negotiation, not by filters.
RESERVED_PARAMS = frozenset({"cursor", "limit", "format"})


@dataclass(frozen=True)
class ParamType:
    parse: Callable[[str], Any]  # raises ValueError with a message for the caller
    schema: dict[str, Any]


# The largest id a bigint column holds: a larger number would be a database error.
BIGINT_MAX = 2**63 - 1


def integer(min_value: int = 1, max_value: int = BIGINT_MAX) -> ParamType:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be an integer") from None
        if value < min_value:
            raise ValueError(f"must be at least {min_value}")
        if value > max_value:
            raise ValueError(f"must be at most {max_value}")
        return value

    return ParamType(parse, {"type": "integer", "minimum": min_value, "maximum": max_value})


def choice(choices: type[Choices]) -> ParamType:
    allowed = [str(v) for v in choices.values]

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw

    return ParamType(parse, {"type": "string", "enum": allowed})


def text(max_length: int = 200) -> ParamType:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value

    return ParamType(parse, {"type": "string", "maxLength": max_length})


def email() -> ParamType:
    def parse(raw: str) -> str:
        value = raw.strip()
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("is not a valid e-mail address") from None
        return value.lower()

    return ParamType(parse, {"type": "string", "format": "email"})


def iso_date() -> ParamType:
    def parse(raw: str) -> date:
        try:
            value = parse_date(raw)
        except ValueError:
            value = None
        if value is None:
            raise ValueError("must be a date, YYYY-MM-DD")
        return value

    return ParamType(parse, {"type": "string", "format": "date"})


def _datetime_or_date(raw: str) -> datetime | None:
    # An unescaped '+' in a query string arrives as a space: "…T10:00:00 02:00".
    repaired = re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw)
    try:
        for candidate in (raw, repaired):
            value = parse_datetime(candidate)
            if value is not None:
                return value
        day = parse_date(raw)
    except ValueError:
        return None
    return datetime.combine(day, time.min) if day is not None else None


def iso_datetime() -> ParamType:
    """A timestamp; a bare date means its start, and a naive time the server's zone."""

    def parse(raw: str) -> datetime:
        value = _datetime_or_date(raw.strip())
        if value is None:
            raise ValueError("must be an ISO 8601 date or date-time")
        try:
            aware = timezone.make_aware(value) if timezone.is_naive(value) else value
            # In UTC: PostgreSQL refuses offsets Python accepts (beyond ±15:59).
            return aware.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError("is out of range") from None

    return ParamType(parse, {"type": "string", "format": "date-time"})


@dataclass(frozen=True)
class QueryFilter:
    """`?name=value` parsed by `type` and applied as `lookup=value` (or by `apply`)."""

    name: str
    type: ParamType
    lookup: str = ""
    description: str = ""
    apply: Callable[[QuerySet, Any], QuerySet] | None = field(default=None, compare=False)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if self.apply is not None:
            return self.apply(qs, value)
        return qs.filter(**{self.lookup or self.name: value})


def query_filters_apply(qs: QuerySet, params: Any, filters: tuple[QueryFilter, ...]) -> QuerySet:
    """Validate every parameter, then filter; all problems are reported in one error."""
    known = {f.name: f for f in filters}
    errors: list[dict[str, str]] = []
    for name in params:
        # Names and values alike: a NUL would reach PostgreSQL, which refuses it (a 500).
        if UNSTORABLE_TEXT.search(name) or any(
            UNSTORABLE_TEXT.search(v) for v in params.getlist(name)
        ):
            field = name if not UNSTORABLE_TEXT.search(name) else "query"
            errors.append({"field": field, "message": UNSTORABLE_MESSAGE, "type": "unstorable"})
            continue
        if name not in known and name not in RESERVED_PARAMS:
            allowed = ", ".join(sorted(known)) or "none"
            errors.append(
                {
                    "field": name,
                    "message": f"unknown query parameter (filters here: {allowed})",
                    "type": "unknown",
                }
            )
    parsed: list[tuple[QueryFilter, Any]] = []
    for name, spec in known.items():
        values = params.getlist(name)
        if not values or any(UNSTORABLE_TEXT.search(v) for v in values):
            continue  # absent, or already reported
        if len(values) > 1:
            errors.append({"field": name, "message": "give this parameter once", "type": "many"})
            continue
        try:
            parsed.append((spec, spec.type.parse(values[0])))
        except ValueError as exc:
            errors.append({"field": name, "message": str(exc), "type": "invalid"})
    if errors:
        names = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"invalid query parameters: {names}", details={"errors": errors})
    for spec, value in parsed:
        qs = spec.filter(qs, value)
    return qs


class QueryParamFilterBackend:
    """DRF filter backend over a view's `query_filters`; lists only (details ignore it)."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        if getattr(view, "action", "list") != "list":
            return queryset
        return query_filters_apply(
            queryset, request.query_params, tuple(getattr(view, "query_filters", ()))
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": f.name,
                "in": "query",
                "required": False,
                "description": f.description,
                "schema": f.type.schema,
            }
            for f in getattr(view, "query_filters", ())
        ]
