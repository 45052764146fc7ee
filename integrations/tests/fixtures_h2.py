"""Fixtures for the webhook, e-mail and support-ticket tests: staff, two accounts in
different books, and connections pointing at the sandbox providers.

Test modules import these names explicitly; ``staff`` here overrides the shared one
(``tests/fixtures.py``) with names and e-mails the messages are checked against.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Contact
from integrations.models import Connection

__all__ = [
    "book",
    "intercom_connection",
    "sendgrid_connection",
    "staff",
    "zendesk_connection",
]

# Fast retries: the tests exercise failures, not patience.
FAST_RETRIES = {"retry_max_attempts": 2, "retry_base_delay": 0.01, "retry_max_delay": 0.05}
ZENDESK_WEBHOOK_SECRET = "zendesk-signing-secret-for-tests"


def call(user, name, payload):
    return invoke_tool(name, actor_for_user(user, channel="command"), payload)


@pytest.fixture
def staff(make_user) -> dict[str, object]:
    return {
        "manager": make_user("manager", Role.MANAGER),
        "csm1": make_user(
            "csm1", Role.CSM, first_name="Grace", last_name="Hopper", email="grace@cs.test"
        ),
        "csm2": make_user("csm2", Role.CSM, first_name="Alan", email="alan@cs.test"),
        "viewer": make_user("viewer", Role.VIEWER),
    }


@pytest.fixture
def book(staff) -> dict[str, object]:
    """csm1 owns Acme (contact Ada, primary); csm2 owns Globex (contact Bob)."""
    acme = Account.objects.create(
        name="Acme Analytics", domain="acme.test", owner=staff["csm1"], zendesk_org_id="4242"
    )
    globex = Account.objects.create(name="Globex", domain="globex.test", owner=staff["csm2"])
    ada = Contact.objects.create(
        account=acme, first_name="Ada", last_name="Lovelace", email="ada@acme.test", is_primary=True
    )
    nameless = Contact.objects.create(account=acme, email="ops@acme.test")
    bob = Contact.objects.create(account=globex, first_name="Bob", email="bob@globex.test")
    return {"acme": acme, "globex": globex, "ada": ada, "nameless": nameless, "bob": bob}


def _connection(provider: str, base_url: str, credentials: dict, **extra) -> Connection:
    settings = {**FAST_RETRIES, **extra.pop("settings", {})}
    return Connection.objects.create(
        provider=provider,
        name=f"{provider} sandbox",
        base_url=base_url,
        credentials=credentials,
        settings=settings,
        **extra,
    )


@pytest.fixture
def sendgrid_connection(db, sandbox) -> Connection:
    return _connection(
        "sendgrid",
        sandbox.base_url("sendgrid"),
        {
            "api_key": sandbox.credentials.sendgrid_api_key,
            "webhook_public_key": sandbox.sendgrid_public_key(),
        },
        settings={"from_email": "success@cs-platform.test", "from_name": "Acme Success"},
    )


@pytest.fixture
def zendesk_connection(db, sandbox) -> Connection:
    c = sandbox.credentials
    return _connection(
        "zendesk",
        sandbox.base_url("zendesk"),
        {"email": c.zendesk_email, "api_token": c.zendesk_api_token},
        webhook_secret=ZENDESK_WEBHOOK_SECRET,
    )


@pytest.fixture
def intercom_connection(db, sandbox) -> Connection:
    c = sandbox.credentials
    return _connection(
        "intercom",
        sandbox.base_url("intercom"),
        {"access_token": c.intercom_access_token},
        webhook_secret=c.intercom_client_secret,
    )


def hours_ago(hours: float):
    return clock.now() - timedelta(hours=hours)
