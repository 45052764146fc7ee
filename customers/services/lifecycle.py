"""Lifecycle stage moves: every move is a `LifecycleStageChange` row with its reason, so the
stage history (and the timeline) is a query, not a reconstruction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import field_error
from customers.models import Account, AccountStatus, LifecycleStage, LifecycleStageChange


def account_stage_move(
    *,
    account: Account,
    to_stage: str,
    reason: str,
    actor: Actor | None,
    now: datetime,
) -> LifecycleStageChange:
    """Move `account` to `to_stage`, recording who, when and why.

    Moving to `churned` also marks the account churned (status and `churned_on`), since
    the two must agree; moving a churned account to any other stage reactivates it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "a stage move needs a reason", code="required")
    if len(reason) > 300:
        raise field_error("reason", "at most 300 characters", code="too_long")
    if to_stage not in LifecycleStage.values:
        raise field_error("to_stage", f"must be one of {', '.join(LifecycleStage.values)}")
    if account.lifecycle_stage == to_stage:
        raise field_error("to_stage", f"the account is already in stage {to_stage!r}")
    from_stage = account.lifecycle_stage
    fields = ["lifecycle_stage", "updated_at"]
    with transaction.atomic():
        account.lifecycle_stage = to_stage
        if to_stage == LifecycleStage.CHURNED:
            account.status = AccountStatus.CHURNED
            account.churned_on = account.churned_on or now.date()
            fields += ["status", "churned_on"]
        elif account.status == AccountStatus.CHURNED:
            account.status = AccountStatus.ACTIVE
            account.churned_on = None
            fields += ["status", "churned_on"]
        account.save(update_fields=fields)
        change = LifecycleStageChange.objects.create(
            account=account,
            from_stage=from_stage,
            to_stage=to_stage,
            changed_at=now,
            reason=reason,
            changed_by=actor.user if actor else None,
        )
        audit_record(
            actor,
            "account.stage_moved",
            account,
            changes={"from": from_stage, "to": to_stage, "reason": reason, "change_id": change.pk},
        )
    return change


def account_stage_start(
    *, account: Account, reason: str, actor: Actor | None, now: datetime
) -> LifecycleStageChange:
    """The first row of a new account's stage history (from no stage to its stage), so
    "when did it enter onboarding" is a query like every later move. The caller records
    the account's creation event."""
    return LifecycleStageChange.objects.create(
        account=account,
        from_stage="",
        to_stage=account.lifecycle_stage,
        changed_at=now,
        reason=(reason or "").strip()[:300] or "Created",
        changed_by=actor.user if actor else None,
    )
