"""Manual health overrides: a person's judgement shown instead of the computed score.

The override is a row with reason, author and optional expiry; the account is re-scored at
once so its latest snapshot shows the override (the computed score stays beside it). Every
service writes its audit event in the same transaction. An override is revoked, never
deleted: snapshots that showed it keep pointing at it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from cs_platform.core.records import WriteServices, account_in_scope, as_row
from cs_platform.core.services import Diff, fields_check, model_update
from customers.models import Account
from health.models import HealthOverride
from health.services.scoring import health_recompute_accounts

OVERRIDE_UPDATABLE = ("score", "reason", "expires_at", "revoked_at")


def _rescore(account_id: int, actor: Actor, at: datetime) -> None:
    health_recompute_accounts(
        account_ids=[account_id],
        as_of=max(clock.now(), at),
        actor=actor.user,
        actor_label=actor.label,
        channel=actor.channel,
    )


def _reason(value: Any) -> str:
    reason = (value or "").strip()
    if not reason:
        raise field_error("reason", "an override needs a reason", code="required")
    if len(reason) > 500:
        raise field_error("reason", "must be at most 500 characters")
    return reason


def _expiry(value: datetime | None, now: datetime) -> datetime | None:
    if value is not None and value <= now:
        raise field_error("expires_at", "must be in the future")
    return value


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise field_error("score", "must be a number from 0 to 100") from None
    if not Decimal(0) <= score <= Decimal(100):
        raise field_error("score", "must be between 0 and 100")
    return score


def health_override_create(
    *,
    account: Account,
    score: float | Decimal,
    reason: str,
    author: Actor,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> HealthOverride:
    """Record an override (reason required; expiry optional, in the future) and re-score
    the account so its latest snapshot displays it."""
    now = now or clock.now()
    value = _score(score)
    reason = _reason(reason)
    _expiry(expires_at, now)
    with transaction.atomic():
        override = HealthOverride.objects.create(
            account=account, score=value, reason=reason, author=author.user, expires_at=expires_at
        )
        audit_record(
            author,
            "health.override_create",
            override,
            changes={
                "score": str(value),
                "reason": reason,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        _rescore(account.pk, author, override.created_at)
    return override


def health_override_update(
    *, override: HealthOverride, changes: dict[str, Any], actor: Actor, now: datetime | None = None
) -> Diff:
    """Correct an override's score, reason or expiry (validated as on creation) and
    re-score the account; a `revoked_at` value revokes it now. A revoked override is final."""
    fields_check(changes, OVERRIDE_UPDATABLE)
    now = now or clock.now()
    if override.revoked_at is not None:
        raise Conflict(
            "this override was revoked; record a new one instead",
            details={"errors": [{"field": "revoked_at", "message": "already revoked"}]},
        )
    new: dict[str, Any] = {}
    if "score" in changes:
        new["score"] = _score(changes["score"])
    if "reason" in changes:
        new["reason"] = _reason(changes["reason"])
    if "expires_at" in changes:
        new["expires_at"] = _expiry(changes["expires_at"], now)
    with transaction.atomic():
        diff = model_update(override, new)
        if diff:
            audit_record(actor, "health.override_update", override, changes={"diff": diff})
        if changes.get("revoked_at") is not None:
            health_override_revoke(override=override, actor=actor, now=now)
            diff["revoked_at"] = {"before": None, "after": override.revoked_at}
        elif diff:
            _rescore(override.account_id, actor, now)
    return diff


def health_override_revoke(
    *, override: HealthOverride, actor: Actor, now: datetime | None = None
) -> HealthOverride:
    """End an override now and re-score the account without it."""
    with transaction.atomic():
        locked = HealthOverride.objects.select_for_update().get(pk=override.pk)
        if locked.revoked_at is not None:
            raise Conflict(
                "this override was already revoked",
                details={"override_id": locked.pk, "revoked_at": locked.revoked_at.isoformat()},
            )
        model_update(locked, {"revoked_at": now or clock.now()})
        audit_record(
            actor,
            "health.override_revoke",
            locked,
            changes={"revoked_at": locked.revoked_at.isoformat()},
        )
        _rescore(locked.account_id, actor, locked.revoked_at)
    override.revoked_at = locked.revoked_at
    return override


def _create_from_fields(*, actor: Actor, fields: dict[str, Any]) -> HealthOverride:
    return health_override_create(
        account=account_in_scope(actor, fields.get("account_id")),
        score=fields.get("score"),
        reason=fields.get("reason") or "",
        author=actor,
        expires_at=fields.get("expires_at"),
    )


OVERRIDE_WRITES = WriteServices(
    create=_create_from_fields,
    update=as_row("override", health_override_update),
    create_fields=("account_id", "score", "reason", "expires_at"),
    update_fields=OVERRIDE_UPDATABLE,
)
