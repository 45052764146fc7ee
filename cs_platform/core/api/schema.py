"""The OpenAPI document: the newcomer's guide on its root, the auth schemes, one error
body (``Error``) on every operation, and no maintainer docstrings as descriptions.

drf-spectacular would describe an operation with its view's docstring (written for
maintainers: "Subclasses set `serializer_class`…"); ``ApiAutoSchema`` describes it only
with what ``extend_schema(description=…)`` says, and adds the error responses the
operation can give with their body schema and an example.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

GUIDE = Path(__file__).with_name("guide.md")


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cs_platform.core.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token: `Authorization: Bearer csp_…`. An operator creates one with "
                "`manage.py create_api_token --user USERNAME --scopes read,write "
                "[--expires-days N]`; it acts as that user (role and book of business). "
                "`read` allows GET and read-only tools, `write` anything that changes data."
            ),
        }


class SessionCookieScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = 1  # over drf-spectacular's own extension for the same class

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": (
                "The admin's session: signed in at /admin/, this browser's requests are "
                "authenticated (writes also need the CSRF token, which this page sends)."
            ),
        }


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The body of every error answer, whatever the endpoint."""

    code = serializers.CharField(
        help_text="Stable error code to branch on: invalid_input, unauthenticated, "
        "permission_denied, not_found, conflict, payload_too_large, throttled, internal_error, "
        "unavailable, …"
    )
    message = serializers.CharField(help_text="What went wrong, for people.")
    retryable = serializers.BooleanField(
        help_text="True only when the same request can succeed later."
    )
    details = serializers.DictField(
        help_text="Structured context: `errors` (each `{field, message, type}`) for "
        "invalid_input, `retry_after_seconds` for throttled, the object's id for not_found."
    )


def error_body(code: str, message: str, *, retryable: bool = False, **details: Any) -> dict:
    return {"code": code, "message": message, "retryable": retryable, "details": details}


# status -> (description, example body) for operations that say nothing more specific.
ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "Invalid input: `details.errors` names each field. Nothing was written.",
        error_body(
            "invalid_input",
            "The request has invalid fields.",
            errors=[{"field": "limit", "message": "must be 1 to 200", "type": "invalid"}],
        ),
    ),
    401: (
        "No token, or an invalid, expired or revoked one.",
        error_body("unauthenticated", "Invalid, expired or revoked token."),
    ),
    403: (
        "The token's scopes or the user's role do not allow this.",
        error_body("permission_denied", "this token lacks the write scope", required_scope="write"),
    ),
    404: (
        "Not found, or outside your book of business (the same answer).",
        error_body("not_found", "account 4242 not found", id="4242"),
    ),
    409: (
        "Conflict with the current state; retry only when `retryable` is true.",
        error_body("conflict", "external_id is already used", field="external_id"),
    ),
    413: (
        "The body is larger than the server accepts (`details.max_bytes`). Nothing was read.",
        error_body(
            "payload_too_large", "request body larger than 2621440 bytes", max_bytes=2_621_440
        ),
    ),
    429: (
        "Rate limit reached: wait `details.retry_after_seconds` (also `Retry-After`).",
        error_body(
            "throttled",
            "Request was throttled. Expected available in 12 seconds.",
            retryable=True,
            retry_after_seconds=12,
        ),
    ),
    500: (
        "An unexpected failure, logged on the server; the same request fails again.",
        error_body("internal_error", "The request failed unexpectedly; the error was logged."),
    ),
    503: (
        "The database was briefly unavailable; retry shortly.",
        error_body(
            "unavailable",
            "The database was briefly unavailable; try again shortly.",
            retryable=True,
        ),
    ),
}
ALWAYS = (401, 403, 429, 500, 503)


def error_response(
    status: int, *, description: str | None = None, example: dict[str, Any] | None = None
) -> OpenApiResponse:
    default_description, default_example = ERRORS[status]
    body = example or default_example
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description or default_description,
        examples=[OpenApiExample(body["code"], value=body, response_only=True)],
    )


class ApiAutoSchema(AutoSchema):
    """Descriptions only from ``extend_schema``; every error status documented.

    A view may name its error statuses (``error_statuses``) and their example bodies
    (``error_examples``); otherwise operations with a body or a list get 400, paths with
    an id get 404, and every operation gets 401, 403, 429, 500 and 503. Operations with a
    body also get 413 (``cs_platform.core.limits``), whatever the view declares.
    """

    def get_description(self) -> str:
        return ""

    def error_statuses(self) -> list[int]:
        declared = getattr(self.view, "error_statuses", None)
        if declared is None:
            declared = set()
            if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
                declared.add(400)
            if "{" in self.path:
                declared.add(404)
        with_body = {413} if self.method in ("POST", "PUT", "PATCH") else set()
        return sorted(set(declared) | set(ALWAYS) | with_body)

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        examples = getattr(self.view, "error_examples", {})
        documented = {int(code) for code in bodies if code.isdigit() and int(code) in ERRORS}
        for status in sorted(set(self.error_statuses()) | documented):
            given = bodies.get(str(status), {})
            if "content" in given:
                continue  # the view documented this error's body itself
            response = error_response(
                status, description=given.get("description"), example=examples.get(status)
            )
            bodies[str(status)] = self._get_response_for_code(
                response, str(status), direction=direction
            )
        return dict(sorted(bodies.items()))


@cache
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def document_api(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: the guide (getting a token, errors, conventions) on the root."""
    result["info"]["description"] = guide()
    return result
