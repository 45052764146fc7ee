from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from audit.models import AuditCheckpoint, AuditEvent
from audit.services import (
    GENESIS_HASH,
    audit_chain_verify,
    audit_checkpoint_write,
    audit_event_record,
)

pytestmark = pytest.mark.django_db


@contextmanager
def tampering() -> Iterator[None]:
    """What an attacker with the database superuser's rights can do: write with triggers
    off (`session_replication_role = replica`). The application's role cannot."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def _record(n: int) -> list[AuditEvent]:
    return [
        audit_event_record(
            actor=None,
            actor_label="system:test",
            channel="system",
            action=f"test.{i}",
            object_type="x",
            object_id=i,
            changes={"i": i, "amount": "1.50"},
        )
        for i in range(n)
    ]


def test_chain_links_and_verifies():
    events = _record(3)
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    result = audit_chain_verify()
    assert result.ok and result.checked == 3
    call_command("verify_audit_chain")


def test_edited_event_is_detected():
    events = _record(3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).update(changes={"i": 99})
    result = audit_chain_verify()
    assert not result.ok and result.first_bad_id == events[1].pk
    assert result.reason == "content hash mismatch" and result.checked == 1
    with pytest.raises(CommandError, match=f"event {events[1].pk}"):
        call_command("verify_audit_chain")


def test_deleted_event_is_detected():
    events = _record(3)
    with tampering():
        AuditEvent.objects.filter(pk=events[1].pk).delete()
    result = audit_chain_verify()
    assert not result.ok and result.first_bad_id == events[2].pk
    assert result.reason == "predecessor hash mismatch"


@pytest.mark.parametrize(
    "changes",
    [
        {"threshold": -0.0},
        {"ratio": float("nan"), "top": float("inf"), "bottom": float("-inf")},
        {"big": 1e20, "small": 1.5e-10, "third": 0.1 + 0.2},
        {"café": "Zoë", "b": 1, "a": [2.0, {"z": None, "y": True}]},  # NFD spellings
        {"nul": "a\x00b", "lone": "\ud800"},
    ],
    ids=["negative-zero", "nan-and-infinities", "floats", "unicode-variants", "nul-surrogate"],
)
def test_values_jsonb_rewrites_keep_the_chain_verifiable(changes):
    event = audit_event_record(
        actor=None, actor_label="system:te\u0301st", channel="system", action="test.canon",
        changes=changes,
    )  # fmt: skip
    event.refresh_from_db()
    assert audit_chain_verify().ok
    # Equal values in another spelling hash alike: what is stored is the canonical form.
    assert event.actor_label == "system:t\u00e9st"


def test_deleting_a_user_keeps_old_events_and_the_chain():
    from tests.factories import UserFactory

    user = UserFactory(username="leaver")
    event = audit_event_record(
        actor=user, actor_label="user:leaver", channel="admin", action="test.by_user"
    )
    user_id = user.pk
    user.delete()
    event.refresh_from_db()
    assert event.actor_id == user_id  # nothing rewrote the row
    assert audit_chain_verify().ok


def test_legacy_rows_verify_with_their_own_hash_form():
    from audit.services import _event_hash

    legacy = AuditEvent(
        occurred_at=_record(1)[0].occurred_at, actor_id=None, actor_label="system:old",
        channel="system", action="test.legacy", object_type="", object_id="", account_id=None,
        changes={"n": 1}, prev_hash=AuditEvent.objects.get().hash, hash_version=1,
    )  # fmt: skip
    legacy.hash = _event_hash(legacy.prev_hash, legacy)
    legacy.save()
    _record(1)
    assert audit_chain_verify().ok and audit_chain_verify().checked == 3


REFUSED = (InternalError, ProgrammingError, IntegrityError)


@pytest.mark.parametrize("model", [AuditEvent, AuditCheckpoint])
def test_postgresql_refuses_update_and_delete_of_audit_rows(model):
    events = _record(2)
    audit_checkpoint_write()
    rows = model.objects.filter(pk=model.objects.order_by("id").first().pk)
    with pytest.raises(REFUSED, match="append-only: UPDATE"), transaction.atomic():
        rows.update(**({"action": "x"} if model is AuditEvent else {"events": 99}))
    with pytest.raises(REFUSED, match="append-only: DELETE"), transaction.atomic():
        rows.delete()
    assert AuditEvent.objects.get(pk=events[0].pk).action == "test.0"
    assert audit_chain_verify().ok


def test_deleting_the_newest_events_is_detected_by_the_signed_checkpoint():
    events = _record(6)
    call_command("verify_audit_chain", "--checkpoint")
    assert AuditCheckpoint.objects.get().event_id == events[-1].pk
    with tampering():
        AuditEvent.objects.filter(pk__in=[e.pk for e in events[-3:]]).delete()
    result = audit_chain_verify()
    assert not result.ok and result.reason == "checkpointed head missing"
    with pytest.raises(CommandError, match="checkpointed head missing"):
        call_command("verify_audit_chain")


def test_a_forged_checkpoint_is_detected(settings):
    _record(3)
    audit_checkpoint_write()
    settings.AUDIT_CHECKPOINT_KEY = "another key than the one that signed"
    result = audit_chain_verify()
    assert not result.ok and result.reason == "checkpoint signature mismatch"


def test_events_after_the_checkpoint_still_verify():
    _record(2)
    audit_checkpoint_write()
    _record(2)
    assert audit_chain_verify().ok
