"""Render DomainError and DRF errors as one shape: {code, message, retryable, details}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from cs_platform.core.errors import DomainError, Unavailable, unexpected_error

logger = logging.getLogger(__name__)


def _view_name(context: dict[str, Any]) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "an API view"


def _drf_field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            out.extend(_drf_field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            return [
                {
                    "field": prefix or "body",
                    "message": str(v),
                    "type": getattr(v, "code", "invalid"),
                }
                for v in detail
            ]
        out = []
        for i, value in enumerate(detail):
            out.extend(_drf_field_errors(value, f"{prefix}[{i}]"))
        return out
    return [
        {
            "field": prefix or "body",
            "message": str(detail),
            "type": getattr(detail, "code", "invalid"),
        }
    ]


def _error_response(error: DomainError) -> Response:
    response = Response(error.as_dict(), status=error.http_status)
    if isinstance(error, Unavailable):
        response["Retry-After"] = str(error.retry_after_seconds)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return _error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug, a constraint violation or a database outage. Answered
        # in the API's shape (not Django's HTML 500), retryable only when the database
        # was briefly unavailable; the cause goes to the log, never to the caller.
        set_rollback()
        error = unexpected_error(exc)
        if isinstance(error, Unavailable):
            # An outage, not a bug: one line without the traceback (it would repeat for
            # every request while the database is away).
            logger.warning("database unavailable in %s (%s); answered 503",
                           _view_name(context), type(exc).__name__)  # fmt: skip
        else:
            logger.exception("unexpected error in %s", _view_name(context))
        return _error_response(error)
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid_input",
            "message": "The request has invalid fields.",
            "retryable": False,
            "details": {"errors": _drf_field_errors(exc.detail)},
        }
    else:
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = "unauthenticated"
        elif isinstance(exc, Http404 | exceptions.NotFound):
            code = "not_found"
        elif isinstance(exc, DjangoPermissionDenied | exceptions.PermissionDenied):
            code = "permission_denied"
        body = {
            "code": code,
            "message": str(getattr(exc, "detail", exc)),
            "retryable": response.status_code == status.HTTP_429_TOO_MANY_REQUESTS,
            "details": {},
        }
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["details"]["retry_after_seconds"] = int(exc.wait)
    response.data = body
    return response
