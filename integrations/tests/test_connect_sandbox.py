"""`connect_sandbox`: one audited connection per provider, re-pointed (not duplicated) on
a second run, and credentials the sandbox server actually accepts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from integrations.models import Connection
from integrations.services.syncs import sync_run_execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("admin", password=None)


def test_creates_then_repoints_the_same_four_connections(admin_user):
    call_command("connect_sandbox", "--url", "http://127.0.0.1:9001/", stdout=None)
    call_command("connect_sandbox", "--url", "http://127.0.0.1:9002", stdout=None)
    rows = dict(Connection.objects.values_list("provider", "base_url"))
    assert rows == {
        p: f"http://127.0.0.1:9002/{p}" for p in ("zendesk", "intercom", "mixpanel", "sendgrid")
    }
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


def test_missing_url_or_user_is_refused_and_changes_nothing(settings):
    settings.SANDBOX_PROVIDERS_URL = ""
    with pytest.raises(CommandError, match="--url"):
        call_command("connect_sandbox")
    with pytest.raises(CommandError, match="--user"):
        call_command("connect_sandbox", "--url", "http://127.0.0.1:9001", "--user", "nobody")
    assert not Connection.objects.exists()


def test_the_sandbox_accepts_the_credentials_it_was_given(sandbox, admin_user):
    call_command("connect_sandbox", "--url", sandbox.url, stdout=None)
    for provider, stream in (("zendesk", "organizations"), ("intercom", "contacts")):
        connection = Connection.objects.get(provider=provider)
        run, _ = sync_run_execute(connection_id=connection.pk, stream=stream, trigger="cli")
        assert run is not None and run.status == "succeeded", (provider, run.error_code)
        assert run.fetched > 0
