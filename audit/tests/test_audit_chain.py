from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

import pytest
from django.core.management import CommandError, call_command
from django.db import (
    IntegrityError,
    InternalError,
    OperationalError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)

from audit.models import AuditCheckpoint, AuditEvent
from audit.services import (
    GENESIS_HASH,
    _chain_for,
    audit_chain_verify,
    audit_checkpoint_write,
    audit_event_record,
)
from cs_platform.core import clock

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
        chain=AuditEvent.objects.get().chain,
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


# --- One chain per partition -------------------------------------------------------------


def _append(account_id: int, n: int = 1) -> list[AuditEvent]:
    """`n` events of one account, each committed in its own transaction."""
    out = []
    for i in range(n):
        with transaction.atomic():
            out.append(
                audit_event_record(
                    actor=None,
                    actor_label="system:test",
                    channel="system",
                    action=f"test.{i}",
                    object_type="x",
                    object_id=i,
                    account_id=account_id,
                )  # fmt: skip
            )
    return out


def _accounts_in_distinct_chains(count: int) -> list[int]:
    seen: dict[int, int] = {}
    for account_id in range(1, 1000):
        seen.setdefault(_chain_for(account_id, "", "", ""), account_id)
        if len(seen) == count:
            return list(seen.values())
    raise AssertionError("not enough chains")


@pytest.mark.django_db(transaction=True)
def test_events_of_unrelated_accounts_link_into_their_own_chains():
    a, b = _accounts_in_distinct_chains(2)
    first_a, first_b, second_a = _append(a) + _append(b) + _append(a)
    assert first_a.chain != first_b.chain and second_a.chain == first_a.chain
    assert first_a.prev_hash == GENESIS_HASH and first_b.prev_hash == GENESIS_HASH
    assert second_a.prev_hash == first_a.hash  # not first_b's: b's event is in another chain
    assert audit_chain_verify().ok and audit_chain_verify().checked == 3


@pytest.mark.django_db(transaction=True)
def test_one_transaction_keeps_its_events_in_one_chain():
    """A transaction never holds two chain locks (no deadlock between two transactions
    that audit the same accounts in opposite orders): its later events join its first
    event's chain, whatever their account."""
    a, b = _accounts_in_distinct_chains(2)
    with transaction.atomic():
        first = _append(a)[0]
        second = _append(b)[0]
    assert second.chain == first.chain and second.prev_hash == first.hash
    assert _append(b)[0].chain == _chain_for(b, "", "", "")  # the next transaction: b's own
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_write_to_another_chain_does_not_wait_for_an_open_transaction():
    """The lock is per chain: while one transaction holds account a's chain, account b's
    write commits at once and a second write to a's chain waits (here: times out)."""
    a, b = _accounts_in_distinct_chains(2)
    holding = threading.Event()
    release = threading.Event()

    def hold_chain_of_a() -> None:
        try:
            with transaction.atomic():
                _append(a)
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_chain_of_a)
    holder.start()
    try:
        assert holding.wait(20)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        assert _append(b)[0].chain != _chain_for(a, "", "", "")  # did not wait
        with pytest.raises(OperationalError, match="lock timeout"):
            _append(a)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        release.set()
        holder.join()
    assert audit_chain_verify().ok and AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_deleting_the_newest_events_of_any_chain_is_detected():
    a, b = _accounts_in_distinct_chains(2)
    _append(a, 5)
    events_b = _append(b, 5)
    _append(a, 1)
    checkpoints = audit_checkpoint_write()
    assert sorted(cp.chain for cp in checkpoints) == sorted(
        {events_b[0].chain, _chain_for(a, "", "", "")}
    )
    assert audit_chain_verify().ok
    with tampering():
        AuditEvent.objects.filter(pk__in=[e.pk for e in events_b[-3:]]).delete()
    result = audit_chain_verify()  # b's chain still links: only its checkpoint can tell
    assert not result.ok and result.reason == "checkpointed head missing"
    assert result.first_bad_id == events_b[-1].pk


@pytest.mark.django_db(transaction=True)
def test_moving_an_event_to_another_chain_is_detected():
    a, b = _accounts_in_distinct_chains(2)
    _append(a, 2)
    moved = _append(b, 1)[0]
    with tampering():
        AuditEvent.objects.filter(pk=moved.pk).update(chain=_chain_for(a, "", "", ""))
    assert not audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_single_chain_verify_as_chain_zero_after_the_migration():
    """What migration 0006 leaves: the one chain's rows (hash version 2, no chain in the
    hash) and its checkpoint (signed without a chain) are chain 0; new events of chain 0
    link to its head and the old checkpoint still verifies."""
    from audit.services import _checkpoint_mac, _event_hash

    prev = GENESIS_HASH
    old = []
    for i in range(3):
        event = AuditEvent(
            occurred_at=clock.now(), actor_label="system:old", channel="system",
            action=f"test.old{i}", object_type="x", object_id=str(i), changes={"i": i},
            prev_hash=prev, hash_version=2,
        )  # fmt: skip
        event.hash = _event_hash(prev, event)
        event.save()
        prev = event.hash
        old.append(event)
    assert {e.chain for e in AuditEvent.objects.all()} == {0}  # the column's default
    at = clock.now()
    message = f"{old[-1].pk}:{old[-1].hash}:3:{at.astimezone(UTC).isoformat()}"
    import hashlib
    import hmac

    from audit.services import _checkpoint_key

    mac = hmac.new(_checkpoint_key(), message.encode(), hashlib.sha256).hexdigest()
    assert mac == _checkpoint_mac(0, old[-1].pk, old[-1].hash, 3, at)
    AuditCheckpoint.objects.create(
        created_at=at, event_id=old[-1].pk, event_hash=old[-1].hash, events=3, mac=mac
    )
    zero = next(a for a in range(1, 1000) if _chain_for(a, "", "", "") == 0)
    new = _append(zero)[0]
    assert new.chain == 0 and new.prev_hash == old[-1].hash and new.hash_version == 3
    assert audit_chain_verify().ok and audit_chain_verify().checked == 4
