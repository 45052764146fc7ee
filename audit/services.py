"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model

from audit.canonical import canonical_json, canonical_value
from audit.models import AuditChainCheck, AuditCheckpoint, AuditEvent
from cs_platform.core import clock
from cs_platform.core.personal_data import personal_fields
from cs_platform.core.services import REDACTED

if TYPE_CHECKING:
    from cs_platform.core.actors import Actor

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that serialises appends to the chain.
_CHAIN_LOCK_ID = 0x0C5A_0D17
# How an event's hash is computed. 1: the first form (it hashed the mutable `actor_id`
# and plain JSON); 2: the actor's label only, canonical JSON. Old rows keep theirs.
CHAIN_VERSION = 2


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    if event.hash_version == 1:
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
    # The actor's id is not hashed: it points at a row that may be deleted, and the label
    # already says who acted.
    return {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_label": event.actor_label,
        "channel": event.channel,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "account_id": event.account_id,
        "changes": event.changes,
    }


def _event_hash(prev_hash: str, event: AuditEvent) -> str:
    fields = _hashed_fields(event)
    if event.hash_version == 1:
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    else:
        text = canonical_json(fields)
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def audit_changes_redact(model_label: str, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` as the trail may keep them (the registry's rule, applied by the writer
    whoever calls it): a tool's raw `input` keeps its keys and its numbers, booleans and
    nulls, never its text; a `diff` or a top-level key that names a personal field of the
    event's model keeps only whether it was set."""
    personal = personal_fields(model_label) if model_label else frozenset()
    kept: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "input":
            kept[key] = _text_hidden(value)
        elif key == "diff" and isinstance(value, dict):
            kept[key] = {
                name: _marked(change) if name in personal else change
                for name, change in value.items()
            }
        elif key in personal:
            kept[key] = _marked(value)
        else:
            kept[key] = value
    return kept


def _text_hidden(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _text_hidden(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_text_hidden(v) for v in value]
    if isinstance(value, str):
        return REDACTED if value else value
    return value


# Values that say nothing about a person: empty, or already a marker.
_UNSET_OR_MARKED = (None, "", [], {}, REDACTED, "<changed>")


def _marked(change: Any) -> Any:
    if isinstance(change, dict):
        return {
            side: value if value in _UNSET_OR_MARKED else REDACTED for side, value in change.items()
        }
    return change if change in _UNSET_OR_MARKED else REDACTED


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
    """Append one event to the chain. Must run inside the caller's write transaction.

    The event's `changes` pass the registry's redaction here, so no caller can put a
    personal value into the trail; they are stored in canonical form (what is read back
    is what was hashed)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        if account_id is None:
            account_id = getattr(obj, "account_id", None)
            if obj._meta.label_lower == "customers.account":
                account_id = obj.pk
    stored = canonical_value(audit_changes_redact(object_type, _jsonable(changes or {})))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            occurred_at=clock.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=canonical_value(actor_label[:200]),
            channel=channel,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            account_id=account_id,
            changes=stored,
            prev_hash=last or GENESIS_HASH,
            hash_version=CHAIN_VERSION,
        )
        event.hash = _event_hash(event.prev_hash, event)
        event.save()
    return event


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    # Dates, Decimals and model instances become JSON values (strings) before redaction.
    return json.loads(json.dumps(changes, cls=DjangoJSONEncoder))


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
    """Recompute every hash in order and report the first event that does not match;
    then check the signed head checkpoints (`audit_checkpoints_verify`)."""
    links = _links_verify(batch_size)
    if not links.ok:
        return links
    signed = audit_checkpoints_verify()
    if not signed.ok:
        return ChainVerification(False, links.checked, signed.first_bad_id, signed.reason)
    return links


def _links_verify(batch_size: int) -> ChainVerification:
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
            if _event_hash(prev, event) != event.hash:
                return ChainVerification(False, checked, event.id, "content hash mismatch")
            prev = event.hash
            checked += 1
            last_id = event.id
    return ChainVerification(True, checked, None, "ok")


def _checkpoint_key() -> bytes:
    key = settings.AUDIT_CHECKPOINT_KEY
    if key:
        return key.encode()
    # Derived from SECRET_KEY (also outside the database) when no key of its own is set.
    return hmac.new(settings.SECRET_KEY.encode(), b"audit-checkpoint", hashlib.sha256).digest()


def _checkpoint_mac(event_id: int, event_hash: str, events: int, created_at: Any) -> str:
    message = f"{event_id}:{event_hash}:{events}:{created_at.astimezone(UTC).isoformat()}"
    return hmac.new(_checkpoint_key(), message.encode(), hashlib.sha256).hexdigest()


def audit_checkpoint_write() -> AuditCheckpoint | None:
    """Sign the chain's current head (daily, after a successful verification). None when
    the chain is empty."""
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    if head is None:
        return None
    events = AuditEvent.objects.filter(id__lte=head["id"]).count()
    created_at = clock.now()
    return AuditCheckpoint.objects.create(
        created_at=created_at,
        event_id=head["id"],
        event_hash=head["hash"],
        events=events,
        mac=_checkpoint_mac(head["id"], head["hash"], events, created_at),
    )


def audit_checkpoints_verify() -> ChainVerification:
    """Every checkpoint is signed with our key and its head is still in the chain, with
    the same hash and as many events up to it: deleting or rewriting the newest events
    (which the chain alone cannot show) is detected up to the last checkpoint."""
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    heads = {
        row["id"]: row["hash"]
        for row in AuditEvent.objects.filter(id__in=[c.event_id for c in checkpoints]).values(
            "id", "hash"
        )
    }
    for cp in checkpoints:
        expected = _checkpoint_mac(cp.event_id, cp.event_hash, cp.events, cp.created_at)
        if not hmac.compare_digest(expected, cp.mac):
            return ChainVerification(False, 0, cp.event_id, "checkpoint signature mismatch")
        if heads.get(cp.event_id) != cp.event_hash:
            return ChainVerification(False, 0, cp.event_id, "checkpointed head missing")
    if checkpoints:
        newest = checkpoints[-1]
        if AuditEvent.objects.filter(id__lte=newest.event_id).count() != newest.events:
            return ChainVerification(False, 0, newest.event_id, "events before checkpoint missing")
    return ChainVerification(True, len(checkpoints), None, "ok")


def audit_chain_check_record(*, checkpoint: bool = False) -> AuditChainCheck:
    """Verify the chain and store the outcome (read by ``/metrics`` and its alert); with
    `checkpoint`, sign the verified head (the daily task does)."""
    started = time.perf_counter()
    result = audit_chain_verify()
    if result.ok and checkpoint:
        audit_checkpoint_write()
    return AuditChainCheck.objects.create(
        checked_at=clock.now(),
        ok=result.ok,
        events_checked=result.checked,
        first_bad_id=result.first_bad_id,
        reason=result.reason,
        seconds=round(time.perf_counter() - started, 3),
    )
