"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model

from audit.models import AuditChainCheck, AuditEvent
from cs_platform.core import clock

if TYPE_CHECKING:
    from cs_platform.core.actors import Actor

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that serialises appends to the chain.
_CHAIN_LOCK_ID = 0x0C5A_0D17


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def _event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "channel": event.channel,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "account_id": event.account_id,
        "changes": event.changes,
    }


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    # Round-trip so the stored JSON equals what was hashed (dates, Decimals as strings).
    return json.loads(json.dumps(changes, cls=DjangoJSONEncoder))


def audit_event_record(
    *,
    actor: Any,
    actor_label: str,
    channel: str,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    account_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's write transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        if account_id is None:
            account_id = getattr(obj, "account_id", None)
            if obj._meta.label_lower == "customers.account":
                account_id = obj.pk
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            occurred_at=clock.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=actor_label[:200],
            channel=channel,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            account_id=account_id,
            changes=_jsonable(changes or {}),
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = _event_hash(event.prev_hash, _hashed_fields(event))
        event.save()
    return event


def audit_record(
    actor: Actor | None,
    action: str,
    obj: Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    account_id: int | None = None,
    object_type: str = "",
    system: str = "system",
) -> AuditEvent:
    """The audit event of a service's write, named after the `Actor` who made it (user,
    label and channel: `admin`, `rest`, `mcp`, `command`, `task`). Without an actor the
    write is a system job's: labelled `system:<system>` on the `task` channel."""
    if actor is None:
        user, label, channel = None, f"system:{system}", "task"
    else:
        user, label, channel = actor.user, actor.label, actor.channel
    return audit_event_record(
        actor=user,
        actor_label=label,
        channel=channel,
        action=action,
        obj=obj,
        object_type=object_type,
        account_id=account_id,
        changes=changes,
    )


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str


def audit_chain_verify(batch_size: int = 5000) -> ChainVerification:
    """Recompute every hash in order; report the first event that does not match."""
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.prev_hash != prev:
                return ChainVerification(False, checked, event.id, "predecessor hash mismatch")
            if _event_hash(prev, _hashed_fields(event)) != event.hash:
                return ChainVerification(False, checked, event.id, "content hash mismatch")
            prev = event.hash
            checked += 1
            last_id = event.id
    return ChainVerification(True, checked, None, "ok")


def audit_chain_check_record() -> AuditChainCheck:
    """Verify the chain and store the outcome (read by ``/metrics`` and its alert)."""
    started = time.perf_counter()
    result = audit_chain_verify()
    return AuditChainCheck.objects.create(
        checked_at=clock.now(),
        ok=result.ok,
        events_checked=result.checked,
        first_bad_id=result.first_bad_id,
        reason=result.reason,
        seconds=round(time.perf_counter() - started, 3),
    )
