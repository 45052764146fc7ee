"""Shared fixtures for every app's tests: staff users with roles, their actors, API tokens
and a small real portfolio. Registered for the whole suite by the root ``conftest.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from django.contrib.auth import get_user_model

# Models are imported inside the fixtures: this plugin loads before Django's app registry
# (pure-library runs use `-p no:django`).


@pytest.fixture(autouse=True)
def default_scorecard_row(request):
    """The default scorecard that the data migration ``health.0003`` stores, stored again
    the same way when a transactional test (which flushes every table) ran earlier on this
    reused test database. Reads never create it; a test database must, like a real one."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not {"db", "transactional_db"} & names:
        return None
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from importlib import import_module

    from django.apps import apps

    from health.models import Scorecard

    row = Scorecard.objects.filter(key="default", is_active=True).first()
    if row is None:
        migration = import_module("health.migrations.0003_default_scorecard")
        migration.store_default_scorecard(apps, None)
        row = Scorecard.objects.get(key="default", is_active=True)
    return row


@pytest.fixture
def travel() -> Iterator[Callable[..., None]]:
    """Move the project clock for the rest of the test: ``travel(date(2028, 2, 29))`` or
    ``travel(moment, freeze=True)`` (see ``cs_platform.core.clock.clock_travel``)."""
    from cs_platform.core.clock import clock_travel

    with ExitStack() as stack:
        yield lambda moment, freeze=False: stack.enter_context(clock_travel(moment, freeze=freeze))


@pytest.fixture
def root(client, db) -> object:
    """A superuser named root, signed in to the admin with the test `client`."""
    from tests.factories import SuperUserFactory

    user = SuperUserFactory(username="root")
    client.force_login(user)
    return user


@pytest.fixture
def fast_hashing(settings) -> None:
    """A cheap password hasher, for tests that set passwords and sign in with them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def audit_chain_held(db) -> int:
    """The audit chain's lock taken up front. A transaction takes it once, with its first
    audited write, and a test runs in one transaction: query-count tests and tests that
    capture on-commit hooks take it first so the first measured call does not pay for it
    alone (nor list its marker among the hooks)."""
    from audit.services import audit_chain_hold

    return audit_chain_hold()


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    from cs_platform.core.models import StaffProfile

    def _make(username: str, role: str = "csm", **extra) -> object:
        user = get_user_model().objects.create_user(username=username, password=None, **extra)
        StaffProfile.objects.create(user=user, role=role)
        return user

    return _make


@pytest.fixture
def staff(make_user) -> dict[str, object]:
    """One user per role, named by it: manager, csm1, csm2, viewer. The CSMs have names and
    e-mail addresses (messages that sign with the owner's name are checked against them)."""
    from cs_platform.core.models import Role

    return {
        "manager": make_user("manager", Role.MANAGER),
        "csm1": make_user(
            "csm1", Role.CSM, first_name="Grace", last_name="Hopper", email="grace@cs.test"
        ),
        "csm2": make_user("csm2", Role.CSM, first_name="Alan", email="alan@cs.test"),
        "viewer": make_user("viewer", Role.VIEWER),
    }


@pytest.fixture
def actors(staff) -> dict[str, object]:
    """Each staff member as an MCP caller."""
    from cs_platform.core.actors import actor_for_user

    return {name: actor_for_user(user, channel="mcp") for name, user in staff.items()}


@pytest.fixture
def make_token(db) -> Callable[..., str]:
    from cs_platform.core.tokens import api_token_create

    def _make(user, scopes=("read", "write"), **kw) -> str:
        _, secret = api_token_create(username=user.username, scopes=list(scopes), **kw)
        return secret

    return _make


@pytest.fixture
def portfolio(staff) -> dict[str, object]:
    """Two accounts per CSM: csm1 owns a healthy and a declining one, csm2 one of each."""
    from tests.builders import build_account

    return {
        "healthy": build_account(staff["csm1"], 1, declining=False),
        "declining": build_account(staff["csm1"], 2, declining=True),
        "other_csm": build_account(staff["csm2"], 3, declining=True),
    }
