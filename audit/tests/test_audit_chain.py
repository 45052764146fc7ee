from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, audit_chain_verify, audit_event_record

pytestmark = pytest.mark.django_db


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
    AuditEvent.objects.filter(pk=events[1].pk).update(changes={"i": 99})
    result = audit_chain_verify()
    assert not result.ok and result.first_bad_id == events[1].pk
    assert result.reason == "content hash mismatch" and result.checked == 1
    with pytest.raises(CommandError, match=f"event {events[1].pk}"):
        call_command("verify_audit_chain")


def test_deleted_event_is_detected():
    events = _record(3)
    AuditEvent.objects.filter(pk=events[1].pk).delete()
    result = audit_chain_verify()
    assert not result.ok and result.first_bad_id == events[2].pk
    assert result.reason == "predecessor hash mismatch"
