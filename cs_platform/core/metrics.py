"""`/metrics` for Prometheus — for operators only.

Scrapers send ``Authorization: Bearer`` with ``METRICS_BEARER_TOKEN`` (compared without the
database) or an API token with the dedicated ``metrics`` scope (``create_api_token --scopes
metrics``; a ``read``/``write`` token, even a manager's, is refused); browsers use a CS
manager's session. The answer holds
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

from cs_platform.core.actors import role_of
from cs_platform.core.models import Role, TokenScope
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
    if offered:
        token = api_token_authenticate(offered)
        if token is None:
            return JsonResponse(
                {"code": "unauthenticated", "message": "token required"}, status=401
            )
        if TokenScope.METRICS not in token.scopes or not token.user.is_active:
            return JsonResponse(
                {"code": "permission_denied", "message": "needs a token with the metrics scope"},
                status=403,
            )
        return _exposition()
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"code": "unauthenticated", "message": "token required"}, status=401)
    if not (user.is_active and user.is_staff and role_of(user) == Role.MANAGER):
        return JsonResponse(
            {"code": "permission_denied", "message": "CS managers only"}, status=403
        )
    return _exposition()


def _exposition() -> HttpResponse:
    return HttpResponse(exposition(with_scrape_collectors=True), content_type=CONTENT_TYPE_LATEST)
