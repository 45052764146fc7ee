"""Shared fixtures for every app's tests: staff users with roles, their actors, API tokens
and a small real portfolio. Registered for the whole suite by the root ``conftest.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from cs_platform.core import clock

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
def make_user(db) -> Callable[..., object]:
    from cs_platform.core.models import StaffProfile

    def _make(username: str, role: str = "csm", **extra) -> object:
        user = get_user_model().objects.create_user(username=username, password=None, **extra)
        StaffProfile.objects.create(user=user, role=role)
        return user

    return _make


@pytest.fixture
def staff(make_user) -> dict[str, object]:
    from cs_platform.core.models import Role

    return {
        "manager": make_user("manager", Role.MANAGER),
        "csm1": make_user("csm1", Role.CSM),
        "csm2": make_user("csm2", Role.CSM),
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


def build_account(owner, number: int, *, declining: bool, days: int = 60):
    """An account with 60 days of usage, tickets, NPS/CSAT answers, contract and renewal.

    `declining` halves usage in the last 30 days and adds urgent tickets and detractor
    answers, so two accounts built with different flags differ in every signal.
    """
    from customers.models import Account, Contact, Contract, Renewal
    from health.models import Survey, SurveyResponse, UsageDaily
    from integrations.models import SupportTicket

    now = clock.now()
    today = clock.today()
    account = Account.objects.create(
        name=f"Fixture {number:03d}",
        domain=f"fixture-{number:03d}.test",
        owner=owner,
        tier="enterprise" if declining else "smb",
        seats_licensed=100,
        arr=Decimal("120000.00") if declining else Decimal("18000.00"),
        arr_reporting=Decimal("120000.00") if declining else Decimal("18000.00"),
        payment_status="late" if declining else "current",
        customer_since=today - timedelta(days=400),
        lifecycle_stage="adoption",
    )
    Contact.objects.create(
        account=account, email=f"champ@fixture-{number:03d}.test", is_primary=True
    )
    contract = Contract.objects.create(
        account=account,
        name="Subscription",
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=65),
        arr=account.arr,
        seats=100,
    )
    Renewal.objects.create(
        account=account,
        contract=contract,
        renewal_date=today + timedelta(days=65),
        current_arr=account.arr,
    )
    rows = []
    for back in range(days):
        day = today - timedelta(days=back)
        users = 40 if (declining and back < 30) else 80
        if not declining:
            users = 60 + (days - back) // 6
        rows.append(
            UsageDaily(
                account=account,
                date=day,
                active_users=users,
                sessions=users * 2,
                events=users * 15,
                minutes=users * 20,
            )
        )
    UsageDaily.objects.bulk_create(rows)
    nps, _ = Survey.objects.get_or_create(
        key="nps", defaults={"name": "NPS", "kind": "nps", "question": "Recommend?"}
    )
    csat, _ = Survey.objects.get_or_create(
        key="csat", defaults={"name": "CSAT", "kind": "csat", "question": "Satisfied?"}
    )
    for i, score in enumerate([2, 4, 9] if declining else [9, 10, 8]):
        SurveyResponse.objects.create(
            survey=nps,
            kind="nps",
            account=account,
            score=score,
            responded_at=now - timedelta(days=10 + i),
        )
    SurveyResponse.objects.create(
        survey=csat,
        kind="csat",
        account=account,
        score=2 if declining else 5,
        responded_at=now - timedelta(days=5),
    )
    for i, prio in enumerate(["urgent", "high", "normal"] if declining else ["low"]):
        SupportTicket.objects.create(
            account=account,
            subject=f"Issue {i}",
            priority=prio,
            status="open",
            opened_at=now - timedelta(days=3 + i),
            sla_breached=prio == "urgent",
        )
    return account


@pytest.fixture
def portfolio(staff) -> dict[str, object]:
    """Two accounts per CSM: csm1 owns a healthy and a declining one, csm2 one of each."""
    return {
        "healthy": build_account(staff["csm1"], 1, declining=False),
        "declining": build_account(staff["csm1"], 2, declining=True),
        "other_csm": build_account(staff["csm2"], 3, declining=True),
    }
