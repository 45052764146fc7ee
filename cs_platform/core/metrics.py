"""`/metrics` for Prometheus: tool calls, provider calls, breakers — for operators only.

Scrapers authenticate with an API token (`Authorization: Bearer …`) of a staff user;
browsers with a staff session. Set PROMETHEUS_MULTIPROC_DIR to aggregate gunicorn workers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView

from cs_platform.core.tokens import api_token_authenticate


def metrics(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    header = request.headers.get("Authorization", "")
    if user is None and header.lower().startswith("bearer "):
        token = api_token_authenticate(header.split(None, 1)[1].strip())
        user = token.user if token is not None else None
    if user is None:
        return JsonResponse({"code": "unauthenticated", "message": "token required"}, status=401)
    if not user.is_staff:
        return JsonResponse({"code": "permission_denied", "message": "staff only"}, status=403)
    return ExportToDjangoView(request)
