"""The landing page, and the liveness and readiness endpoints (served first by
``security.ProbeMiddleware``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cs_platform.core.probes import failed_checks, readiness


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else on purpose, so a database
    outage never makes an orchestrator restart healthy web processes."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database reachable and migrated, Redis reachable when configured, and
    stored secrets decryptable. 503 names what failed."""
    ok, checks = readiness()
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "failed": failed_checks(checks),
    }
    return JsonResponse(body, status=200 if ok else 503)


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """``/``: where each way in is (admin, REST and its docs, MCP), instead of a 404."""
    return render(request, "landing.html", {"mcp_url": request.build_absolute_uri(reverse("mcp"))})
