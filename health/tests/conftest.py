"""Health tests: the default scorecard row every database test may rely on.

Staff, actors and the fixture portfolio come from ``tests/fixtures.py`` (root conftest).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def default_scorecard_row(request):
    """The data migration's default scorecard, restored if a transactional test (which
    flushes every table) ran earlier on a reused test database."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not {"db", "transactional_db"} & names:
        return None
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from health.services.scoring.context import scorecard_row_active

    return scorecard_row_active()
