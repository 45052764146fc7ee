"""Retention campaigns: enrolment, CTAs for enrolled accounts, and trigger-rule automation.

A campaign's `trigger_rules` use the segment rule language (health.selectors.segment_rules);
its `actions` are a list of ``{"type": "create_cta", "title", "priority", "due_in_days"}``.
Evaluation is set-based: one query finds the matching active accounts, one UPDATE exits
enrolments that stopped matching, new enrolments are bulk-inserted and CTAs raised in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import InvalidInput, field_error
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    account_in_scope,
    as_row,
    record_delete,
)
from cs_platform.core.services import model_update
from customers.models import (
    Account,
    AccountStatus,
    Campaign,
    CampaignEnrollment,
    CampaignKind,
    CampaignStatus,
    CtaReason,
    EnrollmentStatus,
    Priority,
)
from customers.services.ctas import CtaFinding, cta_raise_bulk
from health.selectors.segment_rules import segment_accounts_matching, segment_rules_validate

_BATCH = 1000
CAMPAIGN_UPDATABLE = ("name", "kind", "status", "trigger_rules", "actions")
CAMPAIGN_RECORD = RecordSpec(Campaign, "campaign")
ENROLLMENT_RECORD = RecordSpec(CampaignEnrollment, "campaign_enrollment", account="account")


@dataclass(frozen=True)
class CtaAction:
    title: str
    priority: str
    due_in_days: int

    def as_dict(self) -> dict[str, Any]:
        return {"type": "create_cta", **self.__dict__}


@dataclass(frozen=True)
class EnrollResult:
    targeted: int
    enrolled_new: int
    reactivated: int
    already_active: int
    ctas_created: int
    ctas_updated: int


def campaign_actions_validate(actions: Any, *, path: str = "actions") -> list[CtaAction]:
    """Parse stored/proposed actions; only `create_cta` exists today."""
    if not isinstance(actions, list) or len(actions) > 5:
        raise InvalidInput(
            f"{path}: a list of at most 5 actions",
            details={"errors": [{"field": path, "message": "not a list", "type": "type"}]},
        )
    parsed = []
    for i, a in enumerate(actions):
        ok = (
            isinstance(a, dict)
            and a.get("type") == "create_cta"
            and isinstance(a.get("title"), str)
            and 1 <= len(a["title"]) <= 200
            and a.get("priority") in Priority.values
            and isinstance(a.get("due_in_days"), int)
            and 0 <= a["due_in_days"] <= 365
        )
        if not ok:
            raise InvalidInput(
                f"{path}.{i}: expected create_cta with title, priority and due_in_days",
                details={
                    "errors": [
                        {"field": f"{path}.{i}", "message": "invalid action", "type": "invalid"}
                    ]
                },
            )
        parsed.append(CtaAction(a["title"], a["priority"], a["due_in_days"]))
    return parsed


def campaign_create(
    *,
    name: str,
    status: str,
    actor: Actor | None,
    trigger_rules: dict[str, Any] | None = None,
    cta: CtaAction | None = None,
    actions: list[dict[str, Any]] | None = None,
    kind: str = CampaignKind.RETENTION,
) -> Campaign:
    """A campaign with validated trigger rules (the segment rule language) and actions
    (`cta`, or stored `actions`), created by the actor."""
    rules = segment_rules_validate(trigger_rules, path="") if trigger_rules else {}
    parsed = [cta] if cta is not None else campaign_actions_validate(actions or [])
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            kind=kind,
            status=status,
            trigger_rules=rules,
            actions=[a.as_dict() for a in parsed],
            created_by=actor.user if actor else None,
        )
        audit_record(
            actor,
            "campaign.created",
            campaign,
            changes={"name": name, "kind": kind, "rules": rules},
            system="campaigns",
        )
    return campaign


def campaign_update(
    *, campaign: Campaign, changes: dict[str, Any], actor: Actor | None
) -> dict[str, dict[str, Any]]:
    """Change name, kind, status, trigger rules or actions (both validated); returns each
    changed field's before/after."""
    changes = dict(changes)
    if "trigger_rules" in changes:
        rules = changes["trigger_rules"]
        changes["trigger_rules"] = segment_rules_validate(rules, path="") if rules else {}
    if "actions" in changes:
        changes["actions"] = [a.as_dict() for a in campaign_actions_validate(changes["actions"])]
    with transaction.atomic():
        diff = model_update(campaign, changes, allowed=CAMPAIGN_UPDATABLE)
        if diff:
            audit_record(
                actor, "campaign.updated", campaign, changes={"diff": diff}, system="campaigns"
            )
    return diff


def campaign_delete(*, actor: Actor | None, campaign: Campaign) -> None:
    record_delete(CAMPAIGN_RECORD, actor=actor, instance=campaign)


def campaign_enroll(
    *,
    campaign: Campaign,
    account_ids: Iterable[int],
    now: datetime,
    actor: Actor | None,
    trigger: str = "manual",
) -> EnrollResult:
    """Enroll accounts (new rows; exited ones re-activated) and raise a CTA for each one
    that joined now. Accounts already active in the campaign are left alone."""
    ids = sorted(set(account_ids))
    actions = campaign_actions_validate(campaign.actions)
    with transaction.atomic():
        existing = dict(
            CampaignEnrollment.objects.select_for_update()
            .filter(campaign=campaign, account_id__in=ids)
            .values_list("account_id", "status")
        )
        new = [a for a in ids if a not in existing]
        back = [a for a, s in existing.items() if s != EnrollmentStatus.ACTIVE]
        CampaignEnrollment.objects.bulk_create(
            [CampaignEnrollment(campaign=campaign, account_id=a, enrolled_at=now) for a in new],
            batch_size=_BATCH,
            ignore_conflicts=True,
        )
        if back:
            CampaignEnrollment.objects.filter(campaign=campaign, account_id__in=back).update(
                status=EnrollmentStatus.ACTIVE, enrolled_at=now, exited_at=None
            )
        joined = sorted(new + back)
        created = updated = 0
        owners = dict(Account.objects.filter(pk__in=joined).values_list("pk", "owner_id"))
        for action in actions:
            findings = [
                CtaFinding(
                    account_id=a,
                    owner_id=owners.get(a),
                    title=action.title,
                    priority=action.priority,
                    details={
                        "campaign_id": campaign.pk,
                        "campaign": campaign.name,
                        "trigger": trigger,
                        "enrolled_at": now,
                    },
                    due_date=now.date() + timedelta(days=action.due_in_days),
                )
                for a in joined
            ]
            raised = cta_raise_bulk(
                reason=CtaReason.RETENTION_CAMPAIGN,
                source=f"campaign:{campaign.pk}",
                findings=findings,
                now=now,
                actor=actor,
            )
            created += len(raised.created_ids)
            updated += len(raised.updated_ids)
        result = EnrollResult(
            targeted=len(ids),
            enrolled_new=len(new),
            reactivated=len(back),
            already_active=len(ids) - len(new) - len(back),
            ctas_created=created,
            ctas_updated=updated,
        )
        if joined:
            audit_record(
                actor,
                "campaign.enrolled",
                campaign,
                changes={"trigger": trigger, **result.__dict__},
                system="campaigns",
            )
    return result


def campaign_evaluate(*, campaign: Campaign, now: datetime, actor: Actor | None) -> dict[str, int]:
    """Apply the campaign's trigger rules: enroll newly matching active accounts, exit
    enrolments whose account no longer matches (the trigger condition cleared)."""
    if not campaign.trigger_rules:
        raise InvalidInput(
            "the campaign has no trigger rules",
            details={"errors": [{"field": "campaign_id", "message": "no trigger rules"}]},
        )
    matching = segment_accounts_matching(
        campaign.trigger_rules,
        today=now.date(),
        base=Account.objects.filter(status=AccountStatus.ACTIVE),
    )
    matched = list(matching.values_list("pk", flat=True))
    with transaction.atomic():
        exited = (
            CampaignEnrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE)
            .exclude(account_id__in=matching.values("pk"))
            .update(status=EnrollmentStatus.EXITED, exited_at=now)
        )
        result = campaign_enroll(
            campaign=campaign, account_ids=matched, now=now, actor=actor, trigger="rules"
        )
    return {"matched": len(matched), "exited": exited, **result.__dict__}


def campaigns_evaluate_active(*, now: datetime) -> dict[str, Any]:
    """The beat task's body: evaluate every active retention campaign with trigger rules.
    A campaign whose stored rules no longer validate is reported, not fatal to others."""
    done, failed = {}, {}
    campaigns = Campaign.objects.filter(
        kind=CampaignKind.RETENTION, status=CampaignStatus.ACTIVE
    ).exclude(trigger_rules={})
    for campaign in campaigns.order_by("pk"):
        try:
            done[campaign.pk] = campaign_evaluate(campaign=campaign, now=now, actor=None)
        except InvalidInput as exc:
            failed[campaign.pk] = exc.details.get("errors", exc.message)
    return {"evaluated": done, "failed": failed}


def _campaign_from_fields(*, actor: Actor, fields: dict[str, Any]) -> Campaign:
    return campaign_create(
        actor=actor,
        name=fields.get("name") or "",
        kind=fields.get("kind") or CampaignKind.RETENTION,
        status=fields.get("status") or CampaignStatus.DRAFT,
        trigger_rules=fields.get("trigger_rules") or None,
        actions=fields.get("actions") or [],
    )


def _enroll_from_fields(*, actor: Actor, fields: dict[str, Any]) -> CampaignEnrollment:
    """One account enrolled by a person: the same enrolment (and CTA) the tools make."""
    account_id = account_in_scope(actor, fields.get("account_id")).pk
    campaign = Campaign.objects.filter(pk=fields.get("campaign_id")).first()
    if campaign is None:
        raise field_error("campaign", "no campaign with this id", code="not_found")
    campaign_enroll(campaign=campaign, account_ids=[account_id], now=clock.now(), actor=actor)
    return CampaignEnrollment.objects.get(campaign=campaign, account_id=account_id)


CAMPAIGN_WRITES = WriteServices(
    create=_campaign_from_fields,
    update=as_row("campaign", campaign_update),
    delete=as_row("campaign", campaign_delete),
    create_fields=CAMPAIGN_UPDATABLE,
    update_fields=CAMPAIGN_UPDATABLE,
)
ENROLLMENT_WRITES = WriteServices(
    create=_enroll_from_fields,
    update=ENROLLMENT_RECORD.writes().update,
    delete=ENROLLMENT_RECORD.writes().delete,
    create_fields=("campaign_id", "account_id"),
    update_fields=("status", "exited_at"),
)
