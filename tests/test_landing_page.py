"""`/` is a landing page pointing at each way in, not a 404; every link on it answers."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_root_links_the_admin_the_api_docs_and_names_the_mcp_endpoint(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    links = re.findall(r'href="([^"]+)"', html)
    assert {"/admin/", "/api/docs/", "/api/schema/", "/healthz", "/readyz"} <= set(links)
    assert "http://testserver/mcp" in html
    for link in links:
        answer = client.get(link)
        # The admin sends anonymous visitors to its sign-in page.
        assert answer.status_code in (200, 302), (link, answer.status_code)
        if answer.status_code == 302:
            assert answer["Location"].startswith("/admin/login/"), link
