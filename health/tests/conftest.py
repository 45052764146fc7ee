"""Fixtures for the health engine's database tests (staff, tokens, fixture accounts).

pytest only honours ``pytest_plugins`` in the root conftest, so the shared fixtures of
``tests/conftest.py`` are re-declared here around its plain helpers.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model

from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role, StaffProfile
from tests.conftest import build_account


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    def _make(username: str, role: str = Role.CSM, **extra) -> object:
        user = get_user_model().objects.create_user(username=username, password=None, **extra)
        StaffProfile.objects.create(user=user, role=role)
        return user

    return _make


@pytest.fixture
def staff(make_user) -> dict[str, object]:
    return {
        "manager": make_user("manager", Role.MANAGER),
        "csm1": make_user("csm1", Role.CSM),
        "csm2": make_user("csm2", Role.CSM),
        "viewer": make_user("viewer", Role.VIEWER),
    }


@pytest.fixture
def actors(staff) -> dict[str, object]:
    return {name: actor_for_user(user, channel="mcp") for name, user in staff.items()}


@pytest.fixture
def portfolio(staff) -> dict[str, object]:
    """csm1 owns a growing and a declining account, csm2 a declining one."""
    return {
        "healthy": build_account(staff["csm1"], 1, declining=False),
        "declining": build_account(staff["csm1"], 2, declining=True),
        "other_csm": build_account(staff["csm2"], 3, declining=True),
    }


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
