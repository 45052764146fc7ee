"""Domain errors: a stable `code`, a message, `retryable` and structured `details`.

Every channel (MCP, REST, admin, commands) renders these the same way, so an agent can
branch on `code` and `retryable` without parsing prose.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    http_status = 400
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
            "details": self.details,
        }


class InvalidInput(DomainError):
    """Input failed validation; `details.errors` lists each field and why."""

    code = "invalid_input"
    http_status = 400


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class UpstreamFailure(DomainError):
    """An external provider failed; usually worth retrying later."""

    code = "upstream_failure"
    http_status = 502
    retryable = True


def field_error(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    """A validation error for one field, shaped like pydantic's so every channel agrees."""
    return InvalidInput(
        f"{field}: {message}",
        details={"errors": [{"field": field, "message": message, "type": code}]},
    )


class RecordedFailure(DomainError):
    """The operation failed, but what was written about the attempt must be kept.

    `invoke_tool` commits the tool's writes (e.g. an e-mail stored as `failed`) and its
    audit event, then reports this error to the caller — a failure is never dressed up
    as a success, and the record of it is not rolled back either.
    """

    def __init__(self, cause: DomainError, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(
            cause.message,
            code=cause.code,
            details={**cause.details, **(details or {})},
            retryable=cause.retryable,
        )
        self.http_status = cause.http_status
