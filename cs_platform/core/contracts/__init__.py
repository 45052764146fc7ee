"""Pieces every tool contract shares: pagination, idempotency, dry runs, `as_of`.

Tool inputs are flat pydantic models with a description on every field (MCP clients show
them to the model), so shared fields are declared here once and reused by annotation.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from cs_platform.core.errors import field_error

# What PostgreSQL cannot store in text or jsonb: NUL, and lone UTF-16 surrogates (JSON's
# "\ud800" decodes to one; it has no UTF-8 encoding). Refused at the edge, never a 500.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "contains a character that cannot be stored (NUL or a lone surrogate)"


def text_unstorable_path(value: Any, path: str = "") -> str | None:
    """The path (`a.b[2]`) of the first string in `value` PostgreSQL cannot store, else None.

    Walks lists and dicts (keys too) without recursion, so a deep value cannot exhaust
    the stack; `""` is the value itself."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if UNSTORABLE_TEXT.search(node):
                return where
        elif isinstance(node, Mapping):
            for key, item in node.items():
                child = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and UNSTORABLE_TEXT.search(key):
                    return where or "body"
                stack.append((item, child))
        elif isinstance(node, list | tuple):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
    return None


class ToolInput(BaseModel):
    """Base of every tool input: unknown fields are errors, not silently ignored, and no
    string anywhere in the input may hold what PostgreSQL cannot store."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        where = text_unstorable_path(value)
        if where is not None:
            raise ValueError(UNSTORABLE_MESSAGE + (f" at {where}" if where else ""))
        return value


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def Omittable(**kwargs: Any) -> Any:  # noqa: N802 - used like pydantic's Field
    """A partial update's field whose column is NOT NULL: omitted leaves it unchanged and
    an explicit null is refused by the contract. Declare it with a non-optional type
    (`tier: TierName = Omittable(...)`); the schema then neither allows null nor shows a
    `null` default, so what it advertises is what the database accepts."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)


class ToolOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")


AccountId = Annotated[int, Field(ge=1, description="Account id (from list_clients).")]
Limit = Annotated[int, Field(ge=1, le=200, description="Page size, 1–200.")]
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        max_length=2000,
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


# Cursors are signed: a caller can only hand back one this server made, so a forged or
# edited cursor is an `invalid_input` on `cursor`, never values reaching a query.
_CURSOR_SALT = "cs_platform.cursor"
_CURSOR_INVALID = "is not a cursor returned by this tool"


class _CursorSerializer:
    """Compact JSON (dates as ISO strings, UTF-8 unescaped) for `Signer.sign_object`."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data.decode())


def cursor_encode(values: dict[str, Any]) -> str:
    return signing.Signer(salt=_CURSOR_SALT).sign_object(
        values, serializer=_CursorSerializer, compress=True
    )


def cursor_decode(
    cursor: str | None,
    *,
    required_keys: tuple[str, ...] | Mapping[str, type | tuple[type, ...]] = (),
) -> dict[str, Any]:
    """Check a cursor's signature and shape; anything else is a `cursor` field error.

    `required_keys` names the keys it must hold or maps each to its type(s) (`{"id": int}`),
    so values reach a query only with the type the tool wrote."""
    if not cursor:
        return {}
    try:
        values = signing.Signer(salt=_CURSOR_SALT).unsign_object(
            cursor, serializer=_CursorSerializer
        )
    except (signing.BadSignature, ValueError, TypeError, UnicodeError, zlib.error) as exc:
        raise field_error("cursor", _CURSOR_INVALID) from exc
    if not isinstance(values, dict) or any(k not in values for k in required_keys):
        raise field_error("cursor", _CURSOR_INVALID)
    if isinstance(required_keys, Mapping):
        for key, kind in required_keys.items():
            value = values[key]
            # bool is an int to Python, never to a cursor
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
                raise field_error("cursor", _CURSOR_INVALID)
    return values
