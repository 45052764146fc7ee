"""The API docs pages: Swagger UI and ReDoc from this app's static files, nothing remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from cs_platform.core.api.docs import REDOC_BUNDLE, REDOC_REMOTE_LOGO

REPO = Path(__file__).resolve().parent.parent


def test_swagger_ui_page_loads_the_sidecar_bundle_and_its_start_up_script(client):
    html = client.get("/api/docs/").content.decode()
    assert (
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js">'
        in (html)
    )
    assert '<script src="/api/docs/?script=">' in html
    assert "<script>" not in html  # no inline code: script-src 'self' holds
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content and b'"validatorUrl": null' in script.content


def test_redoc_bundle_is_served_without_its_remote_logo(client):
    source = Path(finders.find(REDOC_BUNDLE)).read_text()
    assert REDOC_REMOTE_LOGO in source  # the stock bundle loads it: the patch is needed
    html = client.get("/api/redoc/").content.decode()
    assert '<script src="/api/redoc/redoc.standalone.js">' in html
    assert "<script>" not in html and "fonts.googleapis" not in html
    bundle = client.get("/api/redoc/redoc.standalone.js")
    assert bundle.status_code == 200 and bundle["Content-Type"].startswith("text/javascript")
    body = bundle.content.decode()
    assert "cdn.redoc.ly" not in body
    assert len(body) == len(source) - len(REDOC_REMOTE_LOGO) + len("data:,")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_answer_anyone(client, path):
    assert client.get(path).status_code == 200


def test_make_test_installs_the_browser_and_the_installer_is_a_no_op_when_present():
    makefile = (REPO / "Makefile").read_text()
    assert "\ntest: install-dev services browser\n" in makefile
    present = subprocess.run(
        ["bash", "scripts/ensure_browser.sh"],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "CHROMIUM_BINARY": "/bin/true",
            "CHROMEDRIVER_BINARY": "/bin/true",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert present.returncode == 0, present.stderr
    assert present.stdout.strip() == "Chromium and chromedriver are installed"
