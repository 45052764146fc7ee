"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max, Model

from audit.canonical import canonical_json, canonical_value
from audit.models import AuditChainCheck, AuditCheckpoint, AuditEvent
from cs_platform.core import clock
from cs_platform.core.personal_data import personal_fields
from cs_platform.core.services import REDACTED

if TYPE_CHECKING:
    from cs_platform.core.actors import Actor

GENESIS_HASH = "0" * 64
# The trail is AUDIT_CHAINS independent hash chains: appends to one chain are serialised
# by its own advisory lock, so unrelated writes do not wait for each other. Changing the
# number only changes where new events go (verification follows each row's `chain`).
AUDIT_CHAINS = 16
# The first key of the two-key advisory lock (any constant; the second is the chain).
_CHAIN_LOCK_NAMESPACE = 0x0C5A_0D17
# How an event's hash is computed. 1: the first form (it hashed the mutable `actor_id`
# and plain JSON); 2: the actor's label only, canonical JSON; 3: as 2 plus the chain.
# Old rows keep theirs.
CHAIN_VERSION = 3


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
    fields = {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_label": event.actor_label,
        "channel": event.channel,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "account_id": event.account_id,
        "changes": event.changes,
    }
    if event.hash_version >= 3:
        fields["chain"] = event.chain  # moving an event to another chain breaks its hash
    return fields


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
        chain = _chain_of_transaction(_chain_for(account_id, object_type, object_id, action))
        last = (
            AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True)
        ).first()
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
            chain=chain,
            prev_hash=last or GENESIS_HASH,
            hash_version=CHAIN_VERSION,
        )
        event.hash = _event_hash(event.prev_hash, event)
        event.save()
    return event


def _chain_for(account_id: int | None, object_type: str, object_id: str | int, action: str) -> int:
    """The chain of an event, from a key that is stable across processes (not `hash()`):
    the account, else the object, else the action. One account's events share a chain."""
    if account_id is not None:
        key = f"account:{account_id}"
    elif object_id not in ("", None):
        key = f"{object_type}:{object_id}"
    else:
        key = f"action:{action}"
    return zlib.crc32(key.encode()) % AUDIT_CHAINS


class _ChainHeld:
    """Marks, in the transaction's on-commit hooks, the chain this transaction locked.
    Django drops the hooks when the transaction commits or rolls back (or the savepoint
    that registered them rolls back), so a marker still listed means the lock is held."""

    def __init__(self, chain: int) -> None:
        self.chain = chain

    def __call__(self) -> None:  # run at commit: nothing to do, the lock is gone
        return None


def _chain_of_transaction(wanted: int) -> int:
    """Lock `wanted`'s chain, unless this transaction already holds one: then its events
    stay in that chain. A transaction so never holds two chain locks, and two
    transactions that audit the same accounts in opposite orders cannot deadlock."""
    held = getattr(connection, "_audit_chain_held", None)
    if held is not None and any(hook[1] is held for hook in connection.run_on_commit):
        # Taken again (re-entrant, returns at once): every event costs the same queries,
        # whether or not its transaction audited before.
        audit_chain_lock(held.chain)
        return held.chain
    audit_chain_lock(wanted)
    marker = _ChainHeld(wanted)
    connection._audit_chain_held = marker  # type: ignore[attr-defined]
    transaction.on_commit(marker)
    return wanted


def audit_chain_hold(chain: int = 0) -> int:
    """Hold a chain's lock for the rest of the current transaction and return the chain
    this transaction's events will use (the one already held, if any). For code that
    must take the lock before measuring or capturing what follows, such as query-count
    and on-commit tests, which run inside a single transaction."""
    return _chain_of_transaction(chain)


def audit_chain_lock(chain: int) -> None:
    """Take the chain's transaction-level advisory lock (PostgreSQL; SQLite serialises
    every write anyway). Re-entrant within a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::int, %s::int)", [_CHAIN_LOCK_NAMESPACE, chain]
            )


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
    """Recompute every hash of every chain in order and report the first event that does
    not match; then check the signed head checkpoints (`audit_checkpoints_verify`)."""
    links = _links_verify(batch_size)
    if not links.ok:
        return links
    signed = audit_checkpoints_verify()
    if not signed.ok:
        return ChainVerification(False, links.checked, signed.first_bad_id, signed.reason)
    return links


def _links_verify(batch_size: int) -> ChainVerification:
    # One pass in id order; each chain's ids grow in commit order (the id is drawn under
    # the chain's lock), so each event links to the previous one of its chain.
    prev: dict[int, str] = {}
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            expected_prev = prev.get(event.chain, GENESIS_HASH)
            if event.prev_hash != expected_prev:
                return ChainVerification(False, checked, event.id, "predecessor hash mismatch")
            if _event_hash(expected_prev, event) != event.hash:
                return ChainVerification(False, checked, event.id, "content hash mismatch")
            prev[event.chain] = event.hash
            checked += 1
            last_id = event.id
    return ChainVerification(True, checked, None, "ok")


def _checkpoint_key() -> bytes:
    key = settings.AUDIT_CHECKPOINT_KEY
    if key:
        return key.encode()
    # Derived from SECRET_KEY (also outside the database) when no key of its own is set.
    return hmac.new(settings.SECRET_KEY.encode(), b"audit-checkpoint", hashlib.sha256).digest()


def _checkpoint_mac(
    chain: int, event_id: int, event_hash: str, events: int, created_at: Any
) -> str:
    message = f"{event_id}:{event_hash}:{events}:{created_at.astimezone(UTC).isoformat()}"
    # Chain 0 keeps the form of the checkpoints signed when there was one chain (they stay
    # valid); any other chain is signed too, so a checkpoint cannot be moved to another.
    if chain:
        message = f"chain{chain}:{message}"
    return hmac.new(_checkpoint_key(), message.encode(), hashlib.sha256).hexdigest()


def audit_checkpoint_write() -> list[AuditCheckpoint]:
    """Sign every chain's current head (daily, after a successful verification): its id,
    hash and the chain's event count up to it. Empty when the trail is empty."""
    heads = (
        AuditEvent.objects.values("chain")
        .annotate(head=Max("id"))
        .order_by("chain")
        .values_list("chain", "head")
    )
    created_at = clock.now()
    written = []
    for chain, head_id in heads:
        head_hash = AuditEvent.objects.values_list("hash", flat=True).get(id=head_id)
        events = AuditEvent.objects.filter(chain=chain, id__lte=head_id).count()
        written.append(
            AuditCheckpoint.objects.create(
                created_at=created_at,
                chain=chain,
                event_id=head_id,
                event_hash=head_hash,
                events=events,
                mac=_checkpoint_mac(chain, head_id, head_hash, events, created_at),
            )
        )
    return written


def audit_checkpoints_verify() -> ChainVerification:
    """Every checkpoint is signed with our key and its head is still in its chain, with
    the same hash and as many events of that chain up to it: deleting or rewriting the
    newest events of any chain (which its links alone cannot show) is detected up to its
    last checkpoint."""
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    heads = {
        row["id"]: (row["chain"], row["hash"])
        for row in AuditEvent.objects.filter(id__in=[c.event_id for c in checkpoints]).values(
            "id", "chain", "hash"
        )
    }
    newest: dict[int, AuditCheckpoint] = {}
    for cp in checkpoints:
        expected = _checkpoint_mac(cp.chain, cp.event_id, cp.event_hash, cp.events, cp.created_at)
        if not hmac.compare_digest(expected, cp.mac):
            return ChainVerification(False, 0, cp.event_id, "checkpoint signature mismatch")
        if heads.get(cp.event_id) != (cp.chain, cp.event_hash):
            return ChainVerification(False, 0, cp.event_id, "checkpointed head missing")
        newest[cp.chain] = cp
    for chain, cp in sorted(newest.items()):
        if AuditEvent.objects.filter(chain=chain, id__lte=cp.event_id).count() != cp.events:
            return ChainVerification(False, 0, cp.event_id, "events before checkpoint missing")
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
