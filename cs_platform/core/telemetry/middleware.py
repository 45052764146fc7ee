"""Per-request context: a request id, one JSON log line, and a 503 for a database outage.

``RequestContextMiddleware`` takes the caller's ``X-Request-ID`` when it looks like one
(or makes one), echoes it on the response, binds it to every log line of the request and
logs the request once: method, route pattern (never the raw path or query string, which
may carry personal data), status, duration, actor id.

A transient database failure (server down or restarting, pool exhausted) that escapes a
view becomes ``503`` in the API's error shape with ``Retry-After``, on every path, instead
of Django's HTML 500: callers and load balancers can tell "try again" from "broken".
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from cs_platform.core.errors import Unavailable, database_error_is_transient
from cs_platform.core.telemetry.logs import log_context, log_context_reset, log_context_set

logger = logging.getLogger("cs_platform.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


def request_id_from(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _VALID_REQUEST_ID.match(offered) else uuid.uuid4().hex


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return "/" + str(match.route).lstrip("^") if match.route else match.view_name or "unnamed"


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = log_context_set(request_id=request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            context = log_context()
            logger.info(
                "request",
                extra={
                    "event": "request",
                    "method": request.method if request.method in _METHODS else "OTHER",
                    "route": _route(request),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "actor_id": context.get("actor_id"),
                },
            )
            log_context_reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_error_is_transient(exception):
            return None
        logger.warning("database unavailable (%s); answered 503", type(exception).__name__)
        error = Unavailable()
        response = JsonResponse(error.as_dict(), status=error.http_status)
        response["Retry-After"] = str(error.retry_after_seconds)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
