"""Nothing a page needs comes from another origin: an air-gapped install must work.

The project's templates, the pages they render and the stylesheets those pages load are
scanned for scripts, styles, fonts, images and frames named by an absolute URL. Links
(`<a href>`) are not loads and may point anywhere. The browser tests check the same thing
from the other side: what Chromium actually fetched (tests/browser/).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

REPO = Path(__file__).resolve().parent.parent
# Absolute (http:, https:) or protocol-relative (//host) URLs in places a browser loads.
_REMOTE = r"""\s*=?\s*["']?\s*(?:https?:)?//"""
REMOTE_LOAD = re.compile(
    r"<script\b[^>]*\bsrc"
    + _REMOTE
    + r"|<link\b[^>]*\bhref"
    + _REMOTE
    + r"|<(?:img|iframe|source|audio|video|embed|object|track|input)\b[^>]*\b(?:src|srcset|data)"
    + _REMOTE
    + r"|@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//"
    + r"|url\(\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
LINKED_ASSET = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']""")


def remote_loads(text: str) -> list[str]:
    return [m.group(0) for m in REMOTE_LOAD.finditer(text)]


def project_templates() -> list[Path]:
    skip = {".venv", "node_modules", "staticfiles", ".git", "test-artifacts"}
    return sorted(
        path
        for path in REPO.rglob("templates/**/*")
        if path.is_file() and not skip & set(path.relative_to(REPO).parts)
    )


def test_the_scanner_finds_what_a_cdn_page_loads():
    for text in (
        '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist/swagger-ui-bundle.js">',
        "<link rel='stylesheet' href='//fonts.googleapis.com/css2?family=Roboto'>",
        '<img alt="" src="https://cdn.redoc.ly/redoc/logo-mini.svg">',
        '@import url("https://fonts.googleapis.com/css2?family=Roboto");',
        "body { background: url(https://example.com/x.png) }",
    ):
        assert remote_loads(text), text
    assert not remote_loads('<a href="https://redocly.com/">Redocly</a> <script src="/s/x.js">')


def test_drf_spectacular_stock_redoc_template_would_be_caught():
    """The template our ReDoc page replaces links Google Fonts: the scan must see it."""
    import drf_spectacular

    stock = Path(drf_spectacular.__file__).parent / "templates/drf_spectacular/redoc.html"
    assert remote_loads(stock.read_text())


def test_project_templates_load_nothing_from_another_origin():
    templates = project_templates()
    assert REPO / "templates" / "api_docs" / "redoc.html" in templates
    offenders = {
        str(path.relative_to(REPO)): found
        for path in templates
        if (found := remote_loads(path.read_text(errors="replace")))
    }
    assert offenders == {}


@pytest.mark.django_db
def test_rendered_pages_and_their_stylesheets_load_nothing_from_another_origin(client, staff):
    anonymous = ["/", "/admin/login/", "/api/docs/", "/api/docs/?script", "/api/redoc/"]
    signed_in = ["/admin/", "/admin/customers/account/", "/admin/health/healthscore/"]
    pages: dict[str, str] = {}
    for path in anonymous:
        pages[path] = client.get(path).content.decode()
    staff["manager"].is_staff = True
    staff["manager"].save(update_fields=["is_staff"])
    client.force_login(staff["manager"])
    for path in signed_in:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.content.decode()

    offenders = {path: found for path, html in pages.items() if (found := remote_loads(html))}
    assert offenders == {}
    # Swagger UI's start-up script names no other origin either.
    assert not re.search(r"https?://", pages["/api/docs/?script"])

    stylesheets = {
        asset.removeprefix("/static/")
        for html in pages.values()
        for asset in LINKED_ASSET.findall(html)
        if asset.startswith("/static/") and asset.endswith(".css")
    }
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in stylesheets
    for name in sorted(stylesheets):
        css = Path(finders.find(name)).read_text(errors="replace")
        assert remote_loads(css) == [], name
