"""No style attributes and no <style> elements: production's Content-Security-Policy
(`style-src 'self'`, cs_platform/settings/csp.py) blocks both, so a badge or block styled
inline would render unstyled. Styles live in static stylesheets (cs_platform/admin.css on
every admin page, portfolio/workspace.css on the workspace screens) and markup names
classes. The API docs page is exempt: it is served under its own policy, which allows them
(Swagger UI and ReDoc inject styles at run time).

Two checks: the sources (templates, and Python that builds markup with `format_html`)
and the rendered workspace and admin pages, bands and JSON blocks included.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from cs_platform.core.admin.display import band_badge, json_block
from health.models import HealthScore
from portfolio.tests.histories import score_history, sign_in, turn_red

REPO = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "staticfiles", ".git", "test-artifacts", "tests", "migrations"}
EXEMPT = {REPO / "templates" / "api_docs" / "redoc.html"}  # the API docs' own policy
INLINE_STYLE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=|<style\b", re.IGNORECASE)


def inline_styles(html: str) -> list[str]:
    return [m.group(0)[:80] for m in INLINE_STYLE.finditer(html)]


def _sources() -> list[Path]:
    return sorted(
        p
        for p in REPO.rglob("*")
        if p.suffix in (".html", ".py")
        and p.is_file()
        and not SKIP & set(p.relative_to(REPO).parts)
        and p not in EXEMPT
    )


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_the_scanner_sees_attributes_and_elements_but_not_classes():
    assert inline_styles('<strong style="color: red">red</strong>')
    assert inline_styles("<pre class='x' STYLE='margin: 0'>")
    assert inline_styles("<style>body { margin: 0 }</style>")
    assert not inline_styles('<strong class="cs-band-text">red</strong> a style="x" in text')


def test_no_template_or_markup_string_styles_inline():
    offenders = []
    for path in _sources():
        texts = _string_constants(path) if path.suffix == ".py" else [path.read_text()]
        offenders += [f"{path.relative_to(REPO)}: {hit}" for t in texts for hit in inline_styles(t)]
    assert offenders == []


def test_badges_and_blocks_name_classes_the_admin_stylesheet_defines():
    css = Path(finders.find("cs_platform/admin.css")).read_text()
    for band in ("green", "yellow", "red"):
        assert f'class="cs-band-text cs-band-text-{band}"' in band_badge(band)
        assert f".cs-band-text-{band} " in css
    # Any other band (or a value that is not one) is plain text in the base class.
    assert (
        band_badge("insufficient_data") == '<strong class="cs-band-text">insufficient_data</strong>'
    )
    assert band_badge('"><x') == '<strong class="cs-band-text">&quot;&gt;&lt;x</strong>'
    assert band_badge(None) is None
    assert json_block({"a": 1}).startswith('<pre class="cs-json">') and ".cs-json " in css


@pytest.mark.django_db
def test_rendered_workspace_and_admin_pages_have_no_inline_styles(client, staff, portfolio):
    score_history(portfolio["healthy"], portfolio["declining"])
    turn_red(portfolio["declining"])
    sign_in(client, staff["csm1"])
    account = portfolio["declining"]
    score = HealthScore.objects.filter(account=account).order_by("-id").first()
    pages = [
        reverse("cs-dashboard"),
        reverse("cs-my-day"),
        reverse("admin:customers_account_change", args=[account.pk]),  # the 360
        reverse("admin:customers_account_change", args=[account.pk]) + "?edit=1",
        reverse("admin:customers_account_changelist"),
        reverse("admin:health_healthscore_changelist"),
        reverse("admin:health_healthscore_change", args=[score.pk]),
    ]
    offenders = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "cs_platform/admin.css" in html, url
        if hits := inline_styles(html):
            offenders[url] = hits
    assert offenders == {}
    # The pages did render what used to be styled inline.
    changelist = client.get(reverse("admin:health_healthscore_changelist")).content.decode()
    assert 'class="cs-band-text cs-band-text-red"' in changelist
