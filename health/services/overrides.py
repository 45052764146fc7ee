"""Manual health overrides: a person's judgement shown instead of the computed score.

The override is a row with reason, author and optional expiry; the account is re-scored at
once so its latest snapshot shows the override (the computed score stays beside it). Both
services write their audit event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from audit.services import audit_event_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import Conflict, field_error
from customers.models import Account
from health.models import HealthOverride
from health.services.scoring import health_recompute_accounts


def _who(actor: Any) -> tuple[Any, str, str]:
    """(user, label, channel) from an ``Actor``, or from a user acting in the admin."""
    if not isinstance(actor, Actor):
        actor = actor_for_user(actor, channel="admin")
    return actor.user, actor.label, actor.channel


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
    author: Any,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> HealthOverride:
    """Record an override (reason required; expiry optional, in the future) and re-score
    the account so its latest snapshot displays it."""
    now = now or clock.now()
    value = _score(score)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "an override needs a reason", code="required")
    if len(reason) > 500:
        raise field_error("reason", "must be at most 500 characters")
    if expires_at is not None and expires_at <= now:
        raise field_error("expires_at", "must be in the future")
    user, label, channel = _who(author)
    with transaction.atomic():
        override = HealthOverride.objects.create(
            account=account, score=value, reason=reason, author=user, expires_at=expires_at
        )
        audit_event_record(
            actor=user,
            actor_label=label,
            channel=channel,
            action="health.override_create",
            obj=override,
            changes={
                "score": str(value),
                "reason": reason,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        health_recompute_accounts(
            account_ids=[account.pk],
            as_of=max(clock.now(), override.created_at),
            actor=user,
            actor_label=label,
            channel=channel,
        )
    return override


def health_override_revoke(
    *, override: HealthOverride, actor: Any, now: datetime | None = None
) -> HealthOverride:
    """End an override now and re-score the account without it."""
    user, label, channel = _who(actor)
    with transaction.atomic():
        locked = HealthOverride.objects.select_for_update().get(pk=override.pk)
        if locked.revoked_at is not None:
            raise Conflict(
                "this override was already revoked",
                details={"override_id": locked.pk, "revoked_at": locked.revoked_at.isoformat()},
            )
        locked.revoked_at = now or clock.now()
        locked.save(update_fields=["revoked_at"])
        audit_event_record(
            actor=user,
            actor_label=label,
            channel=channel,
            action="health.override_revoke",
            obj=locked,
            changes={"revoked_at": locked.revoked_at.isoformat()},
        )
        health_recompute_accounts(
            account_ids=[locked.account_id],
            as_of=max(clock.now(), locked.revoked_at),
            actor=user,
            actor_label=label,
            channel=channel,
        )
    override.revoked_at = locked.revoked_at
    return override
