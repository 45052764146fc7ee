"""`connect_sandbox`: one audited connection per provider, re-pointed (not duplicated) on
a second run, with the credentials the running sandbox accepts; the SendGrid one is
complete, so sending e-mail and its signed event webhooks work in the demo."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Contact
from integrations.models import Connection, EmailMessage
from integrations.sandbox import SandboxServer
from integrations.services.syncs import sync_run_execute

pytestmark = pytest.mark.django_db
PROVIDERS = ("zendesk", "intercom", "mixpanel", "sendgrid")


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("admin", password=None)


def test_creates_then_repoints_the_same_four_connections(admin_user, sandbox):
    with SandboxServer(port=0, accounts=5, days=5, seed=7) as other:
        call_command("connect_sandbox", "--url", f"{other.url}/", stdout=None)
    call_command("connect_sandbox", "--url", sandbox.url, stdout=None)
    rows = dict(Connection.objects.values_list("provider", "base_url"))
    assert rows == {p: f"{sandbox.url}/{p}" for p in PROVIDERS}
    actions = list(
        AuditEvent.objects.filter(action__startswith="integrations.connection_")
        .order_by("pk")
        .values_list("action", "actor_id")
    )
    assert (
        actions
        == [("integrations.connection_created", admin_user.pk)] * 4
        + [("integrations.connection_updated", admin_user.pk)] * 4
    )


def test_missing_url_unknown_user_or_no_sandbox_is_refused_and_changes_nothing(
    settings, admin_user
):
    settings.SANDBOX_PROVIDERS_URL = ""
    with pytest.raises(CommandError, match="--url"):
        call_command("connect_sandbox")
    with pytest.raises(CommandError, match="--user"):
        call_command("connect_sandbox", "--url", "http://127.0.0.1:9", "--user", "nobody")
    with pytest.raises(CommandError, match="no sandbox answers at http://127.0.0.1:9"):
        call_command("connect_sandbox", "--url", "http://127.0.0.1:9")
    assert not Connection.objects.exists()


def test_the_sandbox_accepts_the_credentials_it_was_given(sandbox, admin_user):
    call_command("connect_sandbox", "--url", sandbox.url, stdout=None)
    for provider, stream in (("zendesk", "organizations"), ("intercom", "contacts")):
        connection = Connection.objects.get(provider=provider)
        run, _ = sync_run_execute(connection_id=connection.pk, stream=stream, trigger="cli")
        assert run is not None and run.status == "succeeded", (provider, run.error_code)
        assert run.fetched > 0


@pytest.mark.django_db(transaction=True)
def test_sendgrid_is_complete_email_goes_out_and_its_signed_events_come_back(
    sandbox, admin_user, make_user, live_server
):
    call_command(
        "connect_sandbox", "--url", sandbox.url, "--from-email", "success@demo.test", stdout=None
    )
    sendgrid = Connection.objects.get(provider="sendgrid")
    assert sendgrid.settings["from_email"] == "success@demo.test"
    assert sendgrid.credentials["webhook_public_key"] == sandbox.sendgrid_public_key()

    csm = make_user("csm1", Role.CSM, first_name="Grace", email="grace@cs.test")
    account = Account.objects.create(name="Acme", domain="acme.test", owner=csm)
    ada = Contact.objects.create(account=account, first_name="Ada", email="ada@acme.test")
    invoke_tool(
        "send_personalized_email",
        actor_for_user(csm, channel="rest"),
        {"contact_id": ada.pk, "subject": "Hello {{first_name}}", "body": "Checking in."},
    )
    message = EmailMessage.objects.get(contact=ada)
    sent = sandbox.sendgrid_sent()
    assert [m["to"] for m in sent] == [["ada@acme.test"]]
    assert sent[0]["from"]["email"] == "success@demo.test" and sent[0]["subject"] == "Hello Ada"
    assert message.provider_message_id == sent[0]["message_id"]

    hook = f"{live_server.url}/webhooks/sendgrid/{sendgrid.pk}/"
    emitted = sandbox.sendgrid_emit(
        hook, [{"message_id": sent[0]["message_id"], "event": "delivered"}]
    )
    assert emitted["status_code"] == 200, emitted["response"]
    assert json.loads(emitted["response"])["outcomes"] == {"applied": 1}
    message.refresh_from_db()
    assert message.status == "delivered"
