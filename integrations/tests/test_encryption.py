"""Credentials encrypted at rest, key rotation through the salt list, the canary that
catches a wrong key, and connection writes that validate and audit without secrets."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection as db

from audit.models import AuditEvent
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import InvalidInput
from cs_platform.core.models import Role, StaffProfile
from integrations.clients import CredentialsUnreadable, client_for_connection
from integrations.models import Connection, EncryptionCanary
from integrations.probes import CANARY_PLAINTEXT, check_encryption_canary
from integrations.services.connections import connection_create, connection_update
from integrations.services.encryption import encryption_keys_reset

pytestmark = pytest.mark.django_db
SALT_A, SALT_B = "rotation-salt-a", "rotation-salt-b"
TOKEN = "zd-secret-token-123"


@pytest.fixture
def use_salts(settings):
    original = list(settings.SALT_KEY)

    def use(*salts: str) -> None:
        settings.SALT_KEY = list(salts)
        encryption_keys_reset()  # the fields cache derived keys per field instance

    yield use
    use(*original)


def _raw(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT credentials::text, webhook_secret FROM integrations_connection WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def _raw_canary() -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT value FROM integrations_encryptioncanary WHERE id = 1")
        return cursor.fetchone()[0]


def _write_under_a(use_salts) -> Connection:
    use_salts(SALT_A)
    EncryptionCanary.objects.update_or_create(pk=1, defaults={"value": CANARY_PLAINTEXT})
    return Connection.objects.create(
        provider="zendesk",
        name="rotation",
        base_url="https://acme.zendesk.com",
        credentials={"email": "agent@acme.io", "api_token": TOKEN},
        webhook_secret="whsec-456",
    )


def test_rotation_moves_every_secret_to_the_new_key(use_salts):
    conn = _write_under_a(use_salts)
    raw_before, raw_canary_before = _raw(conn.pk), _raw_canary()
    assert TOKEN not in raw_before[0] and "whsec-456" not in raw_before[1]
    assert CANARY_PLAINTEXT not in raw_canary_before

    use_salts(SALT_B, SALT_A)  # new salt first: B encrypts, A still decrypts
    assert Connection.objects.get(pk=conn.pk).credentials["api_token"] == TOKEN
    assert check_encryption_canary() == (True, "ok")

    call_command("rotate_field_encryption", stdout=io.StringIO())

    raw_after = _raw(conn.pk)
    assert raw_after[0] != raw_before[0] and raw_after[1] != raw_before[1]
    assert _raw_canary() != raw_canary_before
    assert AuditEvent.objects.filter(action="integrations.field_encryption_rotated").exists()

    use_salts(SALT_B)  # the old salt is gone: everything still decrypts
    fresh = Connection.objects.get(pk=conn.pk)
    assert fresh.credentials == {"email": "agent@acme.io", "api_token": TOKEN}
    assert fresh.webhook_secret == "whsec-456"
    assert check_encryption_canary() == (True, "ok")

    use_salts(SALT_A)  # only the retired key: the canary says so, nothing silent
    ok, detail = check_encryption_canary()
    assert not ok and "cannot be decrypted" in detail
    with pytest.raises(CredentialsUnreadable):
        client_for_connection(Connection.objects.get(pk=conn.pk))


def test_rotation_refuses_values_no_key_can_read_and_writes_nothing(use_salts):
    conn = _write_under_a(use_salts)
    before = _raw(conn.pk), _raw_canary()
    use_salts(SALT_B)

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_field_encryption")

    assert (_raw(conn.pk), _raw_canary()) == before
    assert not AuditEvent.objects.filter(action="integrations.field_encryption_rotated").exists()


@pytest.fixture
def manager():
    user = get_user_model().objects.create_user(username="mgr", password=None)
    StaffProfile.objects.create(user=user, role=Role.MANAGER)
    return actor_for_user(user, channel="admin")


def test_connection_create_validates_credentials_per_provider(manager):
    with pytest.raises(InvalidInput) as err:
        connection_create(
            actor=manager,
            provider="mixpanel",
            name="mp",
            base_url="https://data.mixpanel.com",
            credentials={"username": "svc", "secret": " ", "tokn": "x"},
        )
    fields = {e["field"] for e in err.value.details["errors"]}
    assert fields == {"credentials.secret", "credentials.project_id", "credentials.tokn"}
    assert not Connection.objects.exists()
    assert not AuditEvent.objects.exists()


def test_connection_writes_are_audited_without_secrets(manager):
    conn = connection_create(
        actor=manager,
        provider="zendesk",
        name="support",
        base_url="https://acme.zendesk.com/",
        credentials={"email": "agent@acme.io", "api_token": TOKEN},
        settings={"page_size": 500},
    )
    connection_update(
        actor=manager,
        connection_id=conn.pk,
        credentials={"email": "agent@acme.io", "api_token": "rotated-token"},
        sync_interval_minutes=30,
    )
    conn.refresh_from_db()
    assert conn.base_url == "https://acme.zendesk.com"
    assert conn.credentials["api_token"] == "rotated-token"
    assert conn.sync_interval_minutes == 30
    events = list(AuditEvent.objects.filter(object_id=str(conn.pk)).order_by("id"))
    assert [e.action for e in events] == [
        "integrations.connection_created",
        "integrations.connection_updated",
    ]
    assert events[1].changes["sync_interval_minutes"] == [15, 30]
    assert all(
        TOKEN not in str(e.changes) and "rotated-token" not in str(e.changes) for e in events
    )
    with pytest.raises(InvalidInput):
        connection_update(actor=manager, connection_id=conn.pk, base_url="ftp://nope")
