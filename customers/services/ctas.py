"""Raising calls-to-action: one open CTA per account and reason, enforced by the database.

The partial unique constraint `cta_one_open_per_reason` is the only arbiter: two monitors
(or a monitor and a person) racing to open the same CTA cannot both succeed, the loser
finds the winner's row and refreshes it instead. Callers run these inside a transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    as_row,
    record_create,
    record_delete,
    record_update,
)
from cs_platform.core.services import Diff
from customers.models import (
    CLOSED_CTA,
    CTA,
    CTA_CLOSED_STATUSES,
    OPEN_CTA,
    Account,
    CtaReason,
    CtaStatus,
    Priority,
)

PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}
_BATCH = 1000
CTA_RECORD = RecordSpec(CTA, "cta", account="account", assignees=("owner",))


@dataclass(frozen=True)
class CtaRaised:
    cta: CTA
    created: bool


@dataclass(frozen=True)
class CtaFinding:
    """One account's reason to raise a CTA, as a monitor or campaign found it."""

    account_id: int
    owner_id: int | None
    title: str
    priority: str
    details: dict[str, Any]
    due_date: date | None = None


@dataclass
class CtaBulkResult:
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    unchanged_ids: list[int] = field(default_factory=list)
    skipped_cooldown: list[int] = field(default_factory=list)


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    # Stored JSON must equal what later comparisons see (dates and Decimals as strings).
    return json.loads(json.dumps(details, cls=DjangoJSONEncoder))


def _higher(current: str, new: str) -> str:
    """Never lower a priority a person (or an earlier finding) raised."""
    return new if PRIORITY_RANK.get(new, 0) > PRIORITY_RANK.get(current, 0) else current


def _refresh(cta: CTA, *, title: str, priority: str, details: dict[str, Any]) -> bool:
    changed = []
    if cta.details != details:
        cta.details = details
        changed.append("details")
    if cta.title != title:
        cta.title = title
        changed.append("title")
    new_priority = _higher(cta.priority, priority)
    if new_priority != cta.priority:
        cta.priority = new_priority
        changed.append("priority")
    if changed:
        cta.save(update_fields=changed)
    return bool(changed)


def cta_raise(
    *,
    account: Account | None,
    reason: str,
    title: str,
    priority: str,
    source: str,
    details: dict[str, Any],
    due_date: date | None,
    actor: Actor | None = None,
) -> CtaRaised:
    """Open a CTA for `account` and `reason`, or refresh the one already open. `account`
    is None only for a GDPR request that belongs to no account (the model allows no other).

    A refresh replaces details and title with the fresh ones and raises (never lowers) the
    priority; status, owner and due date stay as the CSM left them.
    """
    details = _jsonable(details)
    with transaction.atomic():
        existing = (
            CTA.objects.select_for_update().filter(OPEN_CTA, account=account, reason=reason).first()
        )
        created = False
        if existing is None:
            try:
                with transaction.atomic():
                    existing = CTA.objects.create(
                        account=account,
                        reason=reason,
                        title=title[:200],
                        priority=priority,
                        source=source[:60],
                        details=details,
                        due_date=due_date,
                        owner_id=account.owner_id if account is not None else None,
                    )
                created = True
            except IntegrityError:
                # Another writer opened it between our read and our insert: refresh theirs.
                existing = (
                    CTA.objects.select_for_update()
                    .filter(OPEN_CTA, account=account, reason=reason)
                    .get()
                )
        if not created:
            _refresh(existing, title=title[:200], priority=priority, details=details)
        audit_record(
            actor,
            "cta.opened" if created else "cta.refreshed",
            existing,
            changes={"reason": reason, "source": source, "priority": existing.priority},
            system=source,
        )
    return CtaRaised(cta=existing, created=created)


def _cooling_down(reason: str, account_ids: set[int], since: datetime) -> set[int]:
    return set(
        CTA.objects.filter(CLOSED_CTA, reason=reason, closed_at__gte=since)
        .filter(account_id__in=account_ids)
        .values_list("account_id", flat=True)
    )


def cta_raise_bulk(
    *,
    reason: str,
    source: str,
    findings: Sequence[CtaFinding],
    now: datetime,
    cooldown_days: int = 0,
    actor: Actor | None = None,
) -> CtaBulkResult:
    """Raise one CTA per finding in a constant number of queries (batched by 1,000).

    Accounts with an open CTA for `reason` get it refreshed (only when something changed);
    accounts whose CTA for `reason` was closed within `cooldown_days` are skipped, so
    closing a CTA is not undone by the next monitor run. Inserts use ON CONFLICT DO
    NOTHING against the partial unique constraint, so a concurrent writer cannot cause a
    duplicate; one audit event records the whole batch.
    """
    result = CtaBulkResult()
    if not findings:
        return result
    by_account = {f.account_id: f for f in findings}
    with transaction.atomic():
        if cooldown_days > 0:
            cool = _cooling_down(reason, set(by_account), now - timedelta(days=cooldown_days))
            result.skipped_cooldown = sorted(cool)
            by_account = {a: f for a, f in by_account.items() if a not in cool}
        open_before = {
            c.account_id: c
            for c in CTA.objects.select_for_update()
            .filter(OPEN_CTA, reason=reason, account_id__in=list(by_account))
            .only("id", "account_id", "title", "priority", "details")
        }
        to_create = [
            CTA(
                account_id=f.account_id,
                reason=reason,
                title=f.title[:200],
                priority=f.priority,
                source=source[:60],
                details=_jsonable(f.details),
                due_date=f.due_date,
                owner_id=f.owner_id,
            )
            for a, f in by_account.items()
            if a not in open_before
        ]
        CTA.objects.bulk_create(to_create, batch_size=_BATCH, ignore_conflicts=True)
        if to_create:
            fresh = dict(
                CTA.objects.filter(
                    OPEN_CTA, reason=reason, account_id__in=[c.account_id for c in to_create]
                ).values_list("account_id", "id")
            )
            result.created_ids = sorted(fresh.values())
        changed = []
        for account_id, cta in open_before.items():
            f = by_account[account_id]
            details = _jsonable(f.details)
            new_priority = _higher(cta.priority, f.priority)
            if (cta.details, cta.title, cta.priority) == (details, f.title[:200], new_priority):
                result.unchanged_ids.append(cta.pk)
                continue
            cta.details, cta.title, cta.priority = details, f.title[:200], new_priority
            changed.append(cta)
        CTA.objects.bulk_update(changed, ["details", "title", "priority"], batch_size=_BATCH)
        result.updated_ids = sorted(c.pk for c in changed)
        if result.created_ids or result.updated_ids:
            audit_record(
                actor,
                "cta.raised_bulk",
                object_type="customers.cta",
                system=source,
                changes={
                    "reason": reason,
                    "source": source,
                    "created": result.created_ids,
                    "updated": result.updated_ids,
                },
            )
    return result


# --- a person's CTAs (the admin, and tools that create or close one) ------------------


def _closed_at(status: str, closed_at: datetime | None, now: datetime) -> datetime | None:
    """`closed_at` follows the status, so "time to close" is measured, never typed: set
    when a CTA closes (kept while it stays closed), cleared when it reopens."""
    if status in CTA_CLOSED_STATUSES:
        return closed_at or now
    return None


def cta_create(*, actor: Actor | None, fields: dict[str, Any], now: datetime | None = None) -> CTA:
    """A CTA raised by a person (reason `manual` unless given), in the actor's book."""
    fields = {**fields, "closed_at": None}
    fields.setdefault("reason", CtaReason.MANUAL)
    fields["source"] = fields.get("source") or "manual"
    status = fields.get("status") or CtaStatus.OPEN
    fields["closed_at"] = _closed_at(status, None, now or clock.now())
    return record_create(CTA_RECORD, actor=actor, fields=fields)


def cta_update(
    *, actor: Actor | None, cta: CTA, changes: dict[str, Any], now: datetime | None = None
) -> Diff:
    """Change a CTA; returns each changed field's before/after (`closed_at` included when
    the status opened or closed it)."""
    changes = {k: v for k, v in changes.items() if k != "closed_at"}
    closed_at = _closed_at(changes.get("status", cta.status), cta.closed_at, now or clock.now())
    if closed_at != cta.closed_at:
        changes["closed_at"] = closed_at
    return record_update(CTA_RECORD, actor=actor, instance=cta, changes=changes)


def cta_close(*, actor: Actor | None, cta: CTA, now: datetime | None = None) -> Diff:
    """Mark a CTA done (an already closed one is left as it is)."""
    if cta.status in CTA_CLOSED_STATUSES:
        return {}
    return cta_update(actor=actor, cta=cta, changes={"status": CtaStatus.DONE}, now=now)


def cta_delete(*, actor: Actor | None, cta: CTA) -> None:
    record_delete(CTA_RECORD, actor=actor, instance=cta)


CTA_WRITES = WriteServices(
    create=cta_create,
    update=as_row("cta", cta_update),
    delete=as_row("cta", cta_delete),
)
