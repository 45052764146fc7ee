"""`/metrics` for Prometheus — for operators only.

Scrapers send ``Authorization: Bearer`` with ``METRICS_BEARER_TOKEN`` (compared without the
database) or an API token of a staff user; browsers use a staff session. The answer holds
the process metrics of every gunicorn worker of this server (``PROMETHEUS_MULTIPROC_DIR``;
see ``core.telemetry.metrics``) and the scrape-time state the apps register (sync lag,
breakers, queues, GDPR, audit).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from cs_platform.core.telemetry.metrics import exposition
from cs_platform.core.tokens import api_token_authenticate


def _scraper_token_matches(offered: str) -> bool:
    expected = settings.METRICS_BEARER_TOKEN
    return bool(expected) and hmac.compare_digest(offered.encode(), expected.encode())


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    offered = header.split(None, 1)[1].strip() if header.lower().startswith("bearer ") else ""
    if offered and _scraper_token_matches(offered):
        # Checked before anything touches the database: a scrape during a database
        # outage still answers (the database-backed collectors then report up == 0).
        return _exposition()
    user = None
    if offered:
        token = api_token_authenticate(offered)
        user = token.user if token is not None else None
    elif request.user.is_authenticated:
        user = request.user
    if user is None:
        return JsonResponse({"code": "unauthenticated", "message": "token required"}, status=401)
    if not user.is_staff:
        return JsonResponse({"code": "permission_denied", "message": "staff only"}, status=403)
    return _exposition()


def _exposition() -> HttpResponse:
    return HttpResponse(exposition(with_scrape_collectors=True), content_type=CONTENT_TYPE_LATEST)
