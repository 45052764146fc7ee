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


class InternalError(DomainError):
    """An unexpected failure (a bug, a constraint violation): trying again fails the same
    way, so it is never ``retryable``. The cause is logged, never shown."""

    code = "internal_error"
    http_status = 500

    def __init__(self) -> None:
        super().__init__("The request failed unexpectedly; the error was logged.")


class Unavailable(DomainError):
    """The database was briefly unable to serve (a deadlock, a serialization failure, a
    lost connection, a busy SQLite file): the same request can succeed a moment later."""

    code = "unavailable"
    http_status = 503
    retryable = True
    # Sent as Retry-After: long enough for a pooled connection to be replaced.
    retry_after_seconds = 2

    def __init__(self) -> None:
        super().__init__("The database was briefly unavailable; try again shortly.")


# SQLSTATE classes and codes after which the same statement can succeed: connection
# exceptions (08), transaction rollback (40: serialization failure, deadlock), insufficient
# resources (53), operator intervention other than a cancelled query (57P: shutdown,
# crash, cannot connect now) and lock_not_available (55P03). A statement timeout (57014)
# or a constraint violation (23) repeats.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "57P", "55P03")
_TRANSIENT_SQLITE_ERRORS = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_UNIQUE_VIOLATION = "23505"


def _causes(exc: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def database_error_is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps: Django wraps the driver's error) is a database
    failure that a retry of the same request can get past."""
    for cause in _causes(exc):
        sqlstate = getattr(cause, "sqlstate", None)  # psycopg
        if sqlstate:
            return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
        if type(cause).__module__.startswith("psycopg") and type(cause).__name__ in (
            "OperationalError",
            "PoolTimeout",
        ):
            return True  # no SQLSTATE: the connection itself failed or none was free
        sqlite_error = getattr(cause, "sqlite_errorname", None)
        if sqlite_error:
            return sqlite_error in _TRANSIENT_SQLITE_ERRORS
    return False


def integrity_error_is_unique_race(exc: BaseException) -> bool:
    """Whether an IntegrityError is a unique violation (another writer got there first),
    as opposed to a CHECK, NOT NULL or foreign-key violation, which repeats."""
    for cause in _causes(exc):
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate:
            return sqlstate == _UNIQUE_VIOLATION
        if getattr(cause, "sqlite_errorname", None):
            return cause.sqlite_errorname in (
                "SQLITE_CONSTRAINT_UNIQUE",
                "SQLITE_CONSTRAINT_PRIMARYKEY",
            )
    return False


def unexpected_error(exc: BaseException) -> DomainError:
    """What every channel reports for an exception that is not a ``DomainError``."""
    return Unavailable() if database_error_is_transient(exc) else InternalError()
