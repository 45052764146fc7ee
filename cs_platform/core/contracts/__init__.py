"""Pieces every tool contract shares: pagination, idempotency, dry runs, `as_of`.

Tool inputs are flat pydantic models with a description on every field (MCP clients show
them to the model), so shared fields are declared here once and reused by annotation.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cs_platform.core.errors import field_error


class ToolInput(BaseModel):
    """Base of every tool input: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ToolOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")


AccountId = Annotated[int, Field(ge=1, description="Account id (from list_clients).")]
Limit = Annotated[int, Field(ge=1, le=200, description="Page size, 1–200.")]
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        max_length=500,
        description="Opaque cursor from a previous page's `next_cursor`; omit for page one.",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Field(
        default=None,
        min_length=8,
        max_length=200,
        description="Send the same key to retry safely: a repeat returns the first answer.",
    ),
]
DryRun = Annotated[
    bool,
    Field(default=False, description="Validate and report what would change, write nothing."),
]


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("is not a valid e-mail address") from None
    return value.lower()


# Django's validator, so every channel (forms, REST, tools) agrees on what an address is.
Email = Annotated[str, Field(max_length=254, description="E-mail address."), AfterValidator(_email)]
AsOf = Annotated[datetime, Field(description="When the data this answer describes was read.")]


class PageInfo(BaseModel):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")
    has_next: bool
    limit: int


def cursor_encode(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str | None, *, required_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Decode an opaque cursor; a tampered or foreign one is a `cursor` field error."""
    if not cursor:
        return {}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise field_error("cursor", "is not a cursor returned by this tool") from exc
    if not isinstance(values, dict) or any(k not in values for k in required_keys):
        raise field_error("cursor", "is not a cursor returned by this tool")
    return values
