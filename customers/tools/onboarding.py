"""Onboarding and training tools: plans from stored templates, reminder automation,
training sessions with attendance, and certifications with expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from cs_platform.core.contracts.actions import action_fields_check
from cs_platform.core.errors import NotFound, field_error
from cs_platform.core.tools import ToolContext, tool
from customers.models import OnboardingPlan, TrainingCompletion, TrainingModule, TrainingSession
from customers.selectors import account_get_for_actor
from customers.selectors.onboarding import (
    completions_for_actor,
    milestone_get_for_actor,
    plan_get_for_actor,
    plan_progress,
    plan_reminders,
    session_get_for_actor,
    sessions_for_actor,
    template_get,
    templates_list,
)
from customers.services.onboarding import (
    certification_issue,
    certification_revoke,
    milestone_status_set,
    onboarding_automation_run,
    plan_automation_set,
    plan_create_from_template,
    session_attendance_record,
    session_cancel,
    session_schedule,
    template_create,
)
from customers.tools.onboarding_contracts import (
    ActivateOnboardingAutomationInput,
    ActivateOnboardingAutomationOutput,
    AttendanceOut,
    CertificationOut,
    CreateOnboardingPlanInput,
    CreateOnboardingPlanOutput,
    DeliverTrainingSessionInput,
    DeliverTrainingSessionOutput,
    ManageCertificationProgramInput,
    ManageCertificationProgramOutput,
    MilestoneOut,
    PlanOut,
    ReminderOut,
    SessionOut,
    TemplateOut,
)

EXPIRING_DAYS = 30


def plan_out(plan: OnboardingPlan, now: datetime) -> PlanOut:
    progress = plan_progress(plan, now.date())
    milestones = sorted(plan.milestones.all(), key=lambda m: m.position)
    return PlanOut(
        id=plan.pk,
        account_id=plan.account_id,
        template=plan.template,
        status=plan.status,
        started_on=plan.started_on,
        target_date=plan.target_date,
        completed_on=plan.completed_on,
        target_ttv_days=plan.target_ttv_days,
        progress_pct=progress.progress_pct,
        overdue=progress.overdue,
        automation_enabled=plan.automation_enabled,
        milestones=[
            MilestoneOut(
                id=m.pk,
                key=m.key,
                name=m.name,
                status=m.status,
                due_date=m.due_date,
                owner=m.owner.get_username()
                if m.owner_id
                else (f"contact:{m.owner_contact_id}" if m.owner_contact_id else None),
                depends_on=sorted(d.key for d in m.depends_on.all()),
                started_at=m.started_at,
                completed_at=m.completed_at,
            )
            for m in milestones
        ],
    )


@tool(permission="write", read_only=False, read_actions=("templates", "get"))
def create_onboarding_plan(
    ctx: ToolContext, params: CreateOnboardingPlanInput
) -> CreateOnboardingPlanOutput:
    """Onboarding plans from stored templates. create copies a template into a plan for
    an account: each milestone due its offset after start_date, owned by the CSM or the
    customer's primary contact, with the template's dependencies. update_milestone moves
    a milestone; starting or finishing one before its dependencies are done is refused.
    The plan's status follows its milestones."""
    action_fields_check(
        params,
        required={
            "create": ("account_id", "template_key"),
            "get": ("plan_id",),
            "update_milestone": ("milestone_id", "status"),
            "create_template": ("template_key", "name", "target_ttv_days", "milestones"),
        },
        allowed={"create": ("start_date",)},
    )
    out = {"as_of": ctx.now, "action": params.action, "plan": None, "templates": [], "changed": []}
    if params.action == "templates":
        out["templates"] = [
            TemplateOut(
                key=t.key,
                name=t.name,
                tier=t.tier,
                target_ttv_days=t.target_ttv_days,
                milestones=[m.key for m in t.milestones.all()],
            )
            for t in templates_list()
        ]
        return CreateOnboardingPlanOutput(**out)
    if params.action == "create_template":
        template = template_create(
            actor=ctx.actor,
            fields={
                "key": params.template_key,
                "name": params.name,
                "target_ttv_days": params.target_ttv_days,
            },
            milestones=[m.model_dump() for m in params.milestones or []],
        )
        ctx.audit(template)
        t = template_get(template.key)
        out["templates"] = [
            TemplateOut(
                key=t.key,
                name=t.name,
                tier=t.tier,
                target_ttv_days=t.target_ttv_days,
                milestones=[m.key for m in t.milestones.all()],
            )
        ]
        out["changed"] = ["template"]
        return CreateOnboardingPlanOutput(**out)
    if params.action == "create":
        account = account_get_for_actor(ctx.actor, params.account_id)
        template = template_get(params.template_key or "")
        plan = plan_create_from_template(
            actor=ctx.actor,
            account=account,
            template=template,
            start=params.start_date or ctx.now.date(),
            today=ctx.now.date(),
        )
        ctx.audit(plan, account_id=account.pk)
        out["changed"] = ["plan", "milestones"]
        plan_id = plan.pk
    elif params.action == "update_milestone":
        milestone = milestone_get_for_actor(ctx.actor, params.milestone_id)
        diff = milestone_status_set(
            actor=ctx.actor, milestone=milestone, status=params.status, now=ctx.now
        )
        ctx.audit(milestone, account_id=milestone.plan.account_id)
        out["changed"] = sorted(diff)
        plan_id = milestone.plan_id
    else:
        plan_id = params.plan_id
    out["plan"] = plan_out(plan_get_for_actor(ctx.actor, plan_id), ctx.now)
    return CreateOnboardingPlanOutput(**out)


@tool(permission="write", read_only=False, read_actions=("status",))
def activate_onboarding_automation(
    ctx: ToolContext, params: ActivateOnboardingAutomationInput
) -> ActivateOnboardingAutomationOutput:
    """Reminders and escalations for an onboarding plan, run hourly by a Celery beat task:
    a reminder to the milestone's owner when it is due within remind_days_before, and when
    it is escalate_days_overdue late a reminder plus an onboarding_stalled CTA. Each is sent
    once per milestone and due date. status lists what was sent."""
    action_fields_check(
        params,
        required={},
        allowed={
            "enable": ("plan_id", "remind_days_before", "escalate_days_overdue"),
            "disable": ("plan_id",),
            "status": ("plan_id",),
            "run_now": ("plan_id",),
        },
    )
    plan = plan_get_for_actor(ctx.actor, params.plan_id, for_update=params.action != "status")
    changed: list[str] = []
    created = 0
    if params.action in ("enable", "disable"):
        changes = {"automation_enabled": params.action == "enable"}
        for name in ("remind_days_before", "escalate_days_overdue"):
            if getattr(params, name) is not None:
                changes[name] = getattr(params, name)
        changed = sorted(plan_automation_set(actor=ctx.actor, plan=plan, changes=changes))
        ctx.audit(plan, account_id=plan.account_id)
    elif params.action == "run_now":
        if not plan.automation_enabled:
            raise field_error("plan_id", "automation is not enabled for this plan")
        result = onboarding_automation_run(now=ctx.now, plan_ids=[plan.pk], actor=ctx.actor)
        created = len(result.reminders_created)
        ctx.audit(plan, changes={"reminders_created": created}, account_id=plan.account_id)
    reminders = [
        ReminderOut(
            milestone=r.milestone.key,
            kind=r.kind,
            window=r.window,
            recipient=r.recipient.get_username() if r.recipient_id else None,
            cta_id=r.cta_id,
            sent_at=r.sent_at,
        )
        for r in plan_reminders(plan)
    ]
    return ActivateOnboardingAutomationOutput(
        as_of=ctx.now,
        action=params.action,
        plan_id=plan.pk,
        automation_enabled=plan.automation_enabled,
        remind_days_before=plan.remind_days_before,
        escalate_days_overdue=plan.escalate_days_overdue,
        reminders=reminders,
        created=created,
        changed=changed,
    )


def _session_out(s: TrainingSession) -> SessionOut:
    rows = sorted(s.attendance.all(), key=lambda a: a.contact_id)
    return SessionOut(
        id=s.pk,
        account_id=s.account_id,
        module=s.module.key,
        scheduled_at=s.scheduled_at,
        duration_minutes=s.duration_minutes,
        status=s.status,
        trainer=s.trainer.get_username() if s.trainer_id else None,
        attendance=[
            AttendanceOut(contact_id=a.contact_id, status=a.status, score=a.score) for a in rows
        ],
        attended=sum(1 for a in rows if a.status == "attended"),
        registered=len(rows),
    )


def _module(key: str | None) -> TrainingModule:
    module = TrainingModule.objects.filter(key=key or "").first()
    if module is None:
        raise field_error("module_key", "no training module with this key", code="not_found")
    return module


@tool(permission="write", read_only=False, read_actions=("get", "list"))
def deliver_training_session(
    ctx: ToolContext, params: DeliverTrainingSessionInput
) -> DeliverTrainingSessionOutput:
    """Training sessions for an account's contacts: schedule a module with registered
    contacts, then record_attendance (who attended with an optional score, who did not)
    which marks it delivered and records each attendee's module completion."""
    action_fields_check(
        params,
        required={
            "schedule": ("account_id", "module_key", "scheduled_at"),
            "record_attendance": ("session_id",),
            "cancel": ("session_id",),
            "get": ("session_id",),
        },
        allowed={
            "schedule": ("duration_minutes", "contact_ids"),
            "record_attendance": ("attended", "no_show_contact_ids"),
            "list": ("account_id", "limit"),
        },
    )
    changed: list[str] = []
    if params.action == "list":
        if params.account_id is not None:
            account_get_for_actor(ctx.actor, params.account_id)
        rows = sessions_for_actor(ctx.actor, account_id=params.account_id, limit=params.limit)
        return DeliverTrainingSessionOutput(
            as_of=ctx.now, action="list", sessions=[_session_out(s) for s in rows], changed=[]
        )
    if params.action == "schedule":
        account = account_get_for_actor(ctx.actor, params.account_id)
        session = session_schedule(
            actor=ctx.actor,
            account=account,
            module=_module(params.module_key),
            scheduled_at=params.scheduled_at,
            duration_minutes=params.duration_minutes,
            contact_ids=params.contact_ids or [],
        )
        changed = ["session", "attendance"]
    else:
        session = session_get_for_actor(ctx.actor, params.session_id)
        if params.action == "record_attendance":
            if not params.attended and not params.no_show_contact_ids:
                raise field_error("attended", "name who attended or did not", code="required")
            session = session_attendance_record(
                actor=ctx.actor,
                session=session,
                attended={a.contact_id: a.score for a in params.attended or []},
                no_show=params.no_show_contact_ids or [],
                now=ctx.now,
            )
            changed = ["attendance", "status"]
        elif params.action == "cancel":
            changed = sorted(session_cancel(actor=ctx.actor, session=session))
    if changed:
        ctx.audit(session, account_id=session.account_id)
    return DeliverTrainingSessionOutput(
        as_of=ctx.now,
        action=params.action,
        sessions=[_session_out(session_get_for_actor(ctx.actor, session.pk))],
        changed=changed,
    )


def _state(c: TrainingCompletion, now: datetime) -> str:
    if c.certification_revoked_at is not None:
        return "revoked"
    if not c.certified:
        return "none"
    if c.certification_expires_at is not None and c.certification_expires_at <= now:
        return "expired"
    if c.certification_expires_at is not None and c.certification_expires_at <= now + timedelta(
        days=EXPIRING_DAYS
    ):
        return "expiring"
    return "active"


def _cert_out(c: TrainingCompletion, now: datetime) -> CertificationOut:
    return CertificationOut(
        contact_id=c.contact_id,
        account_id=c.contact.account_id,
        module=c.module.key,
        state=_state(c, now),
        score=c.score,
        certified_at=c.certified_at,
        expires_at=c.certification_expires_at,
    )


@tool(permission="write", read_only=False, read_actions=("list",))
def manage_certification_program(
    ctx: ToolContext, params: ManageCertificationProgramInput
) -> ManageCertificationProgramOutput:
    """Certifications per contact and module with expiry. issue certifies a contact who
    completed a certifying module (valid valid_days; issuing again renews); revoke ends
    it. list shows each contact's certifying modules as active, expiring (≤ 30 days),
    expired, revoked or none, with counts."""
    action_fields_check(
        params,
        required={"issue": ("contact_id", "module_key"), "revoke": ("contact_id", "module_key")},
        allowed={"issue": ("valid_days",), "list": ("contact_id", "account_id")},
    )
    if params.action == "list":
        if params.account_id is not None:
            account_get_for_actor(ctx.actor, params.account_id)
        rows = list(
            completions_for_actor(
                ctx.actor, account_id=params.account_id, contact_id=params.contact_id
            )[:500]
        )
        certs = [_cert_out(c, ctx.now) for c in rows]
        counts: dict[str, int] = {}
        for c in certs:
            counts[c.state] = counts.get(c.state, 0) + 1
        return ManageCertificationProgramOutput(
            as_of=ctx.now, action="list", certifications=certs, counts=counts, changed=[]
        )
    completion = (
        completions_for_actor(ctx.actor, account_id=None, contact_id=params.contact_id)
        .filter(module__key=params.module_key)
        .first()
    )
    if completion is None:
        _module(params.module_key)
        raise NotFound(
            "this contact has not completed this module (or is not in your book)",
            details={"field": "contact_id"},
        )
    if params.action == "issue":
        diff = certification_issue(
            actor=ctx.actor, completion=completion, valid_days=params.valid_days, now=ctx.now
        )
    else:
        diff = certification_revoke(actor=ctx.actor, completion=completion, now=ctx.now)
    ctx.audit(completion, account_id=completion.contact.account_id)
    return ManageCertificationProgramOutput(
        as_of=ctx.now,
        action=params.action,
        certifications=[_cert_out(completion, ctx.now)],
        counts={},
        changed=sorted(diff),
    )
