"""`/api/docs/` (Swagger UI) and `/api/redoc/` (ReDoc), served from this app alone.

Both bundles come from drf-spectacular-sidecar's static files (``SWAGGER_UI_DIST`` and
``REDOC_DIST`` are ``SIDECAR``), so the pages work on an install with no internet:

- Swagger UI's start-up code is a script of its own (``?script``), not inline, so the
  page runs under ``script-src 'self'`` (cs_platform/settings/csp.py).
- ReDoc's page is ours (templates/api_docs/redoc.html) without the Google web fonts
  drf-spectacular's template links, and its bundle is served with one change: the
  Redocly logo its side menu always loads from cdn.redoc.ly (no option turns it off)
  becomes an empty ``data:`` image, which ReDoc's own error handler hides. Nothing on
  either page is fetched from another origin (tests/browser/test_api_docs_offline.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


class ApiDocsSwaggerView(SpectacularSwaggerSplitView):
    pass


class ApiDocsRedocView(SpectacularRedocView):
    template_name = "api_docs/redoc.html"

    @staticmethod
    def _redoc_standalone() -> str:
        return reverse("api-redoc-bundle")


@cache
def redoc_bundle() -> bytes:
    """The sidecar's ReDoc bundle without its one remote load (read once per process)."""
    source = Path(finders.find(REDOC_BUNDLE)).read_text(encoding="utf-8")
    return source.replace(REDOC_REMOTE_LOGO, "data:,").encode()


@require_GET
@cache_control(public=True, max_age=86400)
def redoc_bundle_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(redoc_bundle(), content_type="text/javascript; charset=utf-8")
