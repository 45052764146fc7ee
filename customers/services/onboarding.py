"""Onboarding writes: plan templates, plans made from them (milestones with due dates,
owners and dependencies), milestone progress, the reminder/escalation automation, training
sessions with attendance, and certifications with expiry. Each write is validated, scoped
to the actor's book and audited (`cs_platform.core.records`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from cs_platform.core.actors import Actor
from cs_platform.core.errors import field_error
from cs_platform.core.records import RecordSpec, audit_write, record_create, record_update
from cs_platform.core.services import Diff
from customers.models import (
    Account,
    Contact,
    CtaReason,
    MilestoneOwner,
    MilestoneStatus,
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingReminder,
    OnboardingTemplate,
    OnboardingTemplateMilestone,
    PlanStatus,
    Priority,
    ReminderKind,
    TrainingAttendance,
    TrainingCompletion,
    TrainingModule,
    TrainingSession,
)
from customers.models.onboarding import AttendanceStatus, SessionStatus
from customers.services.ctas import cta_raise

TEMPLATE_RECORD = RecordSpec(OnboardingTemplate, "onboarding_template")
PLAN_RECORD = RecordSpec(OnboardingPlan, "onboarding_plan", account="account")
MILESTONE_RECORD = RecordSpec(OnboardingMilestone, "onboarding_milestone", account="plan__account")
SESSION_RECORD = RecordSpec(TrainingSession, "training_session", account="account")
COMPLETION_RECORD = RecordSpec(
    TrainingCompletion, "training_completion", account="contact__account"
)
FINISHED = (MilestoneStatus.DONE, MilestoneStatus.SKIPPED)
AUTOMATED_PLAN_STATUSES = (PlanStatus.NOT_STARTED, PlanStatus.IN_PROGRESS, PlanStatus.STALLED)


# --- templates and plans -------------------------------------------------------------------


def template_create(
    *, actor: Actor | None, fields: dict[str, Any], milestones: Sequence[dict[str, Any]]
) -> OnboardingTemplate:
    """A template with its milestones; a milestone may depend only on milestones listed
    before it (so plans made from it can never hold a cycle)."""
    if not milestones:
        raise field_error("milestones", "a template needs at least one milestone", code="required")
    seen: set[str] = set()
    for i, m in enumerate(milestones):
        if m["key"] in seen:
            raise field_error(f"milestones.{i}.key", "keys must be distinct")
        unknown = sorted(set(m.get("depends_on") or []) - seen)
        if unknown:
            raise field_error(
                f"milestones.{i}.depends_on", f"must name earlier milestones; not: {unknown}"
            )
        seen.add(m["key"])
    with transaction.atomic():
        template = record_create(TEMPLATE_RECORD, actor=actor, fields=fields)
        for i, m in enumerate(milestones):
            OnboardingTemplateMilestone.objects.create(
                template=template,
                key=m["key"],
                name=m["name"],
                position=i,
                due_offset_days=m["due_offset_days"],
                owner=m.get("owner") or MilestoneOwner.CSM,
                depends_on=list(m.get("depends_on") or []),
            )
    return template


def plan_create_from_template(
    *,
    actor: Actor | None,
    account: Account,
    template: OnboardingTemplate,
    start: date,
    today: date,
) -> OnboardingPlan:
    """A plan for `account` copied from `template`: each milestone due `due_offset_days`
    after `start`, owned by the account's CSM or its primary contact, with the template's
    dependencies. The plan's target time-to-value is the template's."""
    steps = list(template.milestones.all())
    if not steps:
        raise field_error("template_key", "the template has no milestones")
    primary = Contact.objects.filter(account=account, is_primary=True).first()
    with transaction.atomic():
        plan = record_create(
            PLAN_RECORD,
            actor=actor,
            fields={
                "account": account,
                "template": template.key,
                "status": PlanStatus.IN_PROGRESS if start <= today else PlanStatus.NOT_STARTED,
                "owner_id": account.owner_id,
                "started_on": start if start <= today else None,
                "target_date": start + timedelta(days=template.target_ttv_days),
                "target_ttv_days": template.target_ttv_days,
            },
        )
        by_key: dict[str, OnboardingMilestone] = {}
        for step in steps:
            csm = step.owner == MilestoneOwner.CSM
            by_key[step.key] = OnboardingMilestone.objects.create(
                plan=plan,
                key=step.key,
                name=step.name,
                position=step.position,
                due_date=start + timedelta(days=step.due_offset_days),
                owner_id=account.owner_id if csm else None,
                owner_contact=None if csm else primary,
            )
        for step in steps:
            if step.depends_on:
                by_key[step.key].depends_on.set([by_key[k] for k in step.depends_on])
    return plan


def _plan_status_refresh(plan: OnboardingPlan, today: date) -> dict[str, Any]:
    statuses = list(plan.milestones.values_list("status", flat=True))
    changes: dict[str, Any] = {}
    if statuses and all(s in FINISHED for s in statuses):
        changes = {"status": PlanStatus.COMPLETED, "completed_on": today}
    elif MilestoneStatus.BLOCKED in statuses:
        changes = {"status": PlanStatus.STALLED, "completed_on": None}
    elif any(s != MilestoneStatus.PENDING for s in statuses):
        changes = {"status": PlanStatus.IN_PROGRESS, "completed_on": None}
    if changes.get("status") != PlanStatus.NOT_STARTED and plan.started_on is None and changes:
        changes["started_on"] = today
    return changes


def milestone_status_set(
    *, actor: Actor | None, milestone: OnboardingMilestone, status: str, now: datetime
) -> Diff:
    """Move a milestone (pending → in_progress → done, or blocked/skipped). Starting or
    finishing one whose dependencies are not done or skipped is refused, naming them."""
    if status not in MilestoneStatus.values:
        raise field_error("status", "not a milestone status")
    if status in (MilestoneStatus.IN_PROGRESS, MilestoneStatus.DONE):
        waiting = [
            d.key
            for d in milestone.depends_on.all().order_by("position")
            if d.status not in FINISHED
        ]
        if waiting:
            raise field_error("status", f"waits for milestones not done: {waiting}", code="blocked")
    changes: dict[str, Any] = {"status": status}
    if status in (MilestoneStatus.IN_PROGRESS, MilestoneStatus.DONE) and not milestone.started_at:
        changes["started_at"] = now
    changes["completed_at"] = now if status == MilestoneStatus.DONE else None
    with transaction.atomic():
        diff = record_update(MILESTONE_RECORD, actor=actor, instance=milestone, changes=changes)
        plan = milestone.plan
        plan_changes = _plan_status_refresh(plan, now.date())
        if plan_changes:
            record_update(PLAN_RECORD, actor=actor, instance=plan, changes=plan_changes)
    return diff


def plan_automation_set(
    *, actor: Actor | None, plan: OnboardingPlan, changes: dict[str, Any]
) -> Diff:
    allowed = {"automation_enabled", "remind_days_before", "escalate_days_overdue"}
    if set(changes) - allowed:
        raise field_error(sorted(set(changes) - allowed)[0], "not an automation setting")
    return record_update(PLAN_RECORD, actor=actor, instance=plan, changes=changes)


# --- automation ------------------------------------------------------------------------------


@dataclass
class AutomationResult:
    plans: int = 0
    reminders_created: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)  # CTA ids opened or refreshed
    already_sent: int = 0


def onboarding_automation_run(
    *, now: datetime, plan_ids: Sequence[int] | None = None, actor: Actor | None = None
) -> AutomationResult:
    """For every plan with automation on: a `due_soon` reminder to the milestone's owner
    when an unfinished milestone is due within `remind_days_before`, and an `overdue`
    reminder plus an onboarding_stalled CTA when it is `escalate_days_overdue` late. The
    unique (milestone, kind, window=due date) key sends each at most once, however often
    the beat task runs; a moved due date is a new window."""
    today = now.date()
    result = AutomationResult()
    plans = OnboardingPlan.objects.filter(
        automation_enabled=True, status__in=AUTOMATED_PLAN_STATUSES
    ).select_related("account")
    if plan_ids is not None:
        plans = plans.filter(pk__in=list(plan_ids))
    plans = list(plans)
    result.plans = len(plans)
    milestones = (
        OnboardingMilestone.objects.filter(plan__in=plans, due_date__isnull=False)
        .exclude(status__in=FINISHED)
        .select_related("plan", "plan__account")
        .order_by("plan_id", "position")
    )
    for m in milestones:
        plan = m.plan
        days_left = (m.due_date - today).days
        kind = None
        if 0 <= days_left <= plan.remind_days_before:
            kind = ReminderKind.DUE_SOON
        elif -days_left >= plan.escalate_days_overdue:
            kind = ReminderKind.OVERDUE
        if kind is None:
            continue
        try:
            with transaction.atomic():
                reminder = OnboardingReminder.objects.create(
                    milestone=m,
                    kind=kind,
                    window=m.due_date,
                    recipient_id=m.owner_id or plan.owner_id or plan.account.owner_id,
                    sent_at=now,
                )
                if kind == ReminderKind.OVERDUE:
                    raised = cta_raise(
                        account=plan.account,
                        reason=CtaReason.ONBOARDING_STALLED,
                        title=f"Onboarding milestone overdue: {m.name}"[:200],
                        priority=Priority.HIGH,
                        source="onboarding_automation",
                        details={
                            "plan_id": plan.pk,
                            "milestone": m.key,
                            "due_date": m.due_date,
                            "days_overdue": -days_left,
                        },
                        due_date=today + timedelta(days=2),
                        actor=actor,
                    )
                    reminder.cta = raised.cta
                    reminder.save(update_fields=["cta"])
                    result.escalations.append(raised.cta.pk)
                audit_write(
                    actor,
                    "onboarding_reminder.sent",
                    reminder,
                    account_id=plan.account_id,
                    changes={"kind": kind, "milestone": m.key, "window": m.due_date.isoformat()},
                    system="onboarding_automation",
                )
            result.reminders_created.append(reminder.pk)
        except IntegrityError:
            result.already_sent += 1  # this milestone's reminder for this window exists
    return result


# --- training --------------------------------------------------------------------------------


def _contacts_of(account: Account, ids: Sequence[int], field_name: str) -> list[Contact]:
    found = {c.pk: c for c in Contact.objects.filter(account=account, pk__in=list(ids))}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise field_error(field_name, f"no contacts {missing} on this account", code="not_found")
    return [found[i] for i in dict.fromkeys(ids)]


def session_schedule(
    *,
    actor: Actor | None,
    account: Account,
    module: TrainingModule,
    scheduled_at: datetime,
    duration_minutes: int | None,
    contact_ids: Sequence[int],
) -> TrainingSession:
    with transaction.atomic():
        contacts = _contacts_of(account, contact_ids, "contact_ids")
        session = record_create(
            SESSION_RECORD,
            actor=actor,
            fields={
                "module": module,
                "account": account,
                "scheduled_at": scheduled_at,
                "duration_minutes": duration_minutes or module.duration_minutes,
                "trainer": actor.user if actor else None,
            },
        )
        TrainingAttendance.objects.bulk_create(
            [TrainingAttendance(session=session, contact=c) for c in contacts]
        )
    return session


def session_attendance_record(
    *,
    actor: Actor | None,
    session: TrainingSession,
    attended: dict[int, int | None],
    no_show: Sequence[int],
    now: datetime,
) -> TrainingSession:
    """Mark the session delivered with who attended (and their score) and who did not.
    Each attendee's module completion is recorded (first completion kept, best score)."""
    if session.status == SessionStatus.CANCELLED:
        raise field_error("session_id", "the session was cancelled")
    if session.scheduled_at > now:
        raise field_error("session_id", "the session has not started yet")
    overlap = sorted(set(attended) & set(no_show))
    if overlap:
        raise field_error("no_show_contact_ids", f"also listed as attended: {overlap}")
    with transaction.atomic():
        contacts = _contacts_of(session.account, [*attended, *no_show], "attended")
        rows = {a.contact_id: a for a in session.attendance.all()}
        for c in contacts:
            status = AttendanceStatus.ATTENDED if c.pk in attended else AttendanceStatus.NO_SHOW
            row = rows.get(c.pk) or TrainingAttendance(session=session, contact=c)
            row.status, row.score = status, attended.get(c.pk)
            row.save()
            if status == AttendanceStatus.ATTENDED:
                done = TrainingCompletion.objects.filter(module=session.module, contact=c).first()
                score = attended.get(c.pk)
                if done is None:
                    TrainingCompletion.objects.create(
                        module=session.module, contact=c, completed_at=now, score=score
                    )
                elif score is not None and (done.score is None or score > done.score):
                    done.score = score
                    done.save(update_fields=["score"])
        record_update(
            SESSION_RECORD,
            actor=actor,
            instance=session,
            changes={"status": SessionStatus.DELIVERED, "delivered_at": now},
        )
    return session


def session_cancel(*, actor: Actor | None, session: TrainingSession) -> Diff:
    if session.status == SessionStatus.DELIVERED:
        raise field_error("session_id", "a delivered session cannot be cancelled")
    return record_update(
        SESSION_RECORD, actor=actor, instance=session, changes={"status": SessionStatus.CANCELLED}
    )


# --- certifications --------------------------------------------------------------------------


def certification_issue(
    *, actor: Actor | None, completion: TrainingCompletion, valid_days: int, now: datetime
) -> Diff:
    """Certify a contact who completed a certifying module, valid for `valid_days` (issuing
    again renews it from now and lifts a revocation)."""
    if not completion.module.grants_certification:
        raise field_error("module_key", "this module does not grant a certification")
    return record_update(
        COMPLETION_RECORD,
        actor=actor,
        instance=completion,
        changes={
            "certified": True,
            "certified_at": now,
            "certification_expires_at": now + timedelta(days=valid_days),
            "certification_revoked_at": None,
        },
    )


def certification_revoke(
    *, actor: Actor | None, completion: TrainingCompletion, now: datetime
) -> Diff:
    if not completion.certified or completion.certification_revoked_at is not None:
        raise field_error("contact_id", "holds no active certification for this module")
    return record_update(
        COMPLETION_RECORD,
        actor=actor,
        instance=completion,
        changes={"certified": False, "certification_revoked_at": now},
    )
