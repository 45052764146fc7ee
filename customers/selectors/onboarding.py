"""Onboarding reads: templates, plans with their milestones, progress against due dates,
bottlenecks from milestone history, and time-to-value against each plan's stated target.
All start from the actor's accounts; a constant number of queries per call."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from statistics import median
from typing import Any

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from customers.models import (
    Account,
    MilestoneStatus,
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingReminder,
    OnboardingTemplate,
    PlanStatus,
    TrainingCompletion,
    TrainingSession,
)
from customers.selectors.scope import account_list_for_actor

FINISHED = (MilestoneStatus.DONE, MilestoneStatus.SKIPPED)
ACTIVE_PLAN = (PlanStatus.NOT_STARTED, PlanStatus.IN_PROGRESS, PlanStatus.STALLED)


def template_get(key: str) -> OnboardingTemplate:
    t = OnboardingTemplate.objects.filter(key=key).prefetch_related("milestones").first()
    if t is None:
        raise NotFound(f"no onboarding template {key!r}", details={"field": "template_key"})
    return t


def templates_list() -> list[OnboardingTemplate]:
    return list(OnboardingTemplate.objects.prefetch_related("milestones").order_by("key"))


def _milestones() -> Prefetch:
    return Prefetch(
        "milestones",
        queryset=OnboardingMilestone.objects.prefetch_related("depends_on").select_related(
            "owner", "owner_contact"
        ),
    )


def plans_for_actor(
    actor: Actor, *, account_id: int | None = None, accounts: QuerySet[Account] | None = None
) -> QuerySet[OnboardingPlan]:
    scope = accounts if accounts is not None else account_list_for_actor(actor)
    qs = OnboardingPlan.objects.filter(account__in=scope).select_related("account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.prefetch_related(_milestones())


def plan_get_for_actor(actor: Actor, plan_id: int, *, for_update: bool = False) -> OnboardingPlan:
    qs = plans_for_actor(actor)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    plan = qs.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(f"no onboarding plan {plan_id} in your book", details={"field": "plan_id"})
    return plan


def milestone_get_for_actor(actor: Actor, milestone_id: int) -> OnboardingMilestone:
    m = (
        OnboardingMilestone.objects.filter(
            pk=milestone_id, plan__account__in=account_list_for_actor(actor)
        )
        .select_related("plan", "plan__account")
        .first()
    )
    if m is None:
        raise NotFound(
            f"no milestone {milestone_id} in your book", details={"field": "milestone_id"}
        )
    return m


def plan_reminders(plan: OnboardingPlan) -> list[OnboardingReminder]:
    """The plan's reminders, newest first (one query)."""
    return list(
        OnboardingReminder.objects.filter(milestone__plan=plan)
        .select_related("milestone", "recipient")
        .order_by("-sent_at", "-id")
    )


@dataclass(frozen=True)
class PlanProgress:
    plan: OnboardingPlan
    done: int
    total: int
    overdue: list[str]
    blocked: list[str]
    current: str | None
    days_elapsed: int | None
    ttv_days: int | None  # completed plans: start → completion
    on_track: bool

    @property
    def progress_pct(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 0.0


def plan_progress(plan: OnboardingPlan, today: date) -> PlanProgress:
    """Milestones done (skipped ones count as done), overdue (due before today and not
    done), blocked, the first unfinished one, and whether the plan is on track: no overdue
    milestone and, once started, done share ≥ elapsed share of the target."""
    ms = sorted(plan.milestones.all(), key=lambda m: m.position)
    done = sum(1 for m in ms if m.status in FINISHED)
    overdue = [m.key for m in ms if m.status not in FINISHED and m.due_date and m.due_date < today]
    blocked = [m.key for m in ms if m.status == MilestoneStatus.BLOCKED]
    current = next((m.key for m in ms if m.status not in FINISHED), None)
    start = plan.started_on
    elapsed = (today - start).days if start else None
    ttv = (plan.completed_on - start).days if start and plan.completed_on else None
    if plan.status == PlanStatus.COMPLETED:
        on_track = (
            ttv is not None and plan.target_ttv_days is not None and ttv <= plan.target_ttv_days
        )
    else:
        expected = (
            min(1.0, elapsed / plan.target_ttv_days)
            if elapsed is not None and plan.target_ttv_days
            else 0.0
        )
        on_track = not overdue and not blocked and (done / len(ms) if ms else 0) >= expected - 1e-9
    return PlanProgress(plan, done, len(ms), overdue, blocked, current, elapsed, ttv, on_track)


def milestone_history(plans: QuerySet[OnboardingPlan], today: date) -> list[dict[str, Any]]:
    """Per milestone key over `plans`: how many finished, median and 90th-percentile days
    spent (started → completed), share finished after their due date, and how many are
    blocked, overdue or in progress now — the bottleneck table, slowest first."""
    rows = OnboardingMilestone.objects.filter(plan__in=plans).values_list(
        "key", "name", "status", "due_date", "started_at", "completed_at"
    )
    stats: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "name": "",
            "durations": [],
            "late": 0,
            "done": 0,
            "blocked": 0,
            "overdue": 0,
            "in_progress": 0,
        }
    )
    for key, name, status, due, started, completed in rows:
        s = stats[key]
        s["name"] = name
        if status == MilestoneStatus.DONE and completed is not None:
            s["done"] += 1
            if started is not None:
                s["durations"].append((completed - started).total_seconds() / 86400)
            if due is not None and completed.date() > due:
                s["late"] += 1
        elif status == MilestoneStatus.BLOCKED:
            s["blocked"] += 1
        elif status == MilestoneStatus.IN_PROGRESS:
            s["in_progress"] += 1
        if status not in FINISHED and due is not None and due < today:
            s["overdue"] += 1
    out = []
    for key, s in stats.items():
        d = sorted(s["durations"])
        p90 = d[min(len(d) - 1, int(0.9 * (len(d) - 1) + 0.5))] if d else None
        out.append(
            {
                "key": key,
                "name": s["name"],
                "completed": s["done"],
                "median_days": round(median(d), 1) if d else None,
                "p90_days": round(p90, 1) if p90 is not None else None,
                "late_pct": round(100 * s["late"] / s["done"], 1) if s["done"] else None,
                "blocked_now": s["blocked"],
                "overdue_now": s["overdue"],
                "in_progress_now": s["in_progress"],
            }
        )
    out.sort(key=lambda r: (-(r["median_days"] or 0), -r["overdue_now"], r["key"]))
    return out


def ttv_summary(progress: list[PlanProgress], target_override: int | None) -> dict[str, Any]:
    """Time-to-value of completed plans against each plan's stated target (or
    `target_override`), and active plans already past it."""
    done = [p for p in progress if p.ttv_days is not None]
    within = [p for p in done if p.ttv_days <= (target_override or p.plan.target_ttv_days or 0)]
    late_active = [
        p
        for p in progress
        if p.plan.status in ACTIVE_PLAN
        and p.days_elapsed is not None
        and p.days_elapsed > (target_override or p.plan.target_ttv_days or 10**9)
    ]
    ttvs = [p.ttv_days for p in done]
    targets = [
        target_override or p.plan.target_ttv_days
        for p in done
        if target_override or p.plan.target_ttv_days
    ]
    return {
        "plans_completed": len(done),
        "ttv_days_median": float(median(ttvs)) if ttvs else None,
        "target_days_median": float(median(targets)) if targets else None,
        "within_target_pct": round(100 * len(within) / len(done), 1) if done else None,
        "active_past_target": len(late_active),
    }


def sessions_for_actor(
    actor: Actor, *, account_id: int | None, limit: int
) -> list[TrainingSession]:
    qs = TrainingSession.objects.filter(account__in=account_list_for_actor(actor))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return list(qs.select_related("module", "trainer").prefetch_related("attendance")[:limit])


def session_get_for_actor(actor: Actor, session_id: int) -> TrainingSession:
    s = (
        TrainingSession.objects.filter(pk=session_id, account__in=account_list_for_actor(actor))
        .select_related("module", "account", "trainer")
        .first()
    )
    if s is None:
        raise NotFound(f"no session {session_id} in your book", details={"field": "session_id"})
    return s


def completions_for_actor(
    actor: Actor, *, account_id: int | None, contact_id: int | None
) -> QuerySet[TrainingCompletion]:
    qs = TrainingCompletion.objects.filter(
        contact__account__in=account_list_for_actor(actor), module__grants_certification=True
    ).select_related("module", "contact")
    if account_id is not None:
        qs = qs.filter(contact__account_id=account_id)
    if contact_id is not None:
        qs = qs.filter(contact_id=contact_id)
    return qs.order_by("contact_id", "module__key")


def stalled_onboarding_by_account(
    *, accounts: QuerySet[Account], overdue_before: date, idle_since: datetime, today: date
) -> list[dict[str, Any]]:
    """Accounts with an active, started plan that has a blocked milestone, an unfinished
    milestone due before `overdue_before`, or no milestone started/finished since
    `idle_since` (the plan's start counts as progress). One query grouped by plan."""
    unfinished = ~Q(milestones__status__in=FINISHED)
    rows = (
        OnboardingPlan.objects.filter(
            account__in=accounts, status__in=ACTIVE_PLAN, started_on__isnull=False
        )
        .values("id", "account_id", "account__owner_id", "started_on")
        .annotate(
            blocked=Count("milestones", filter=Q(milestones__status=MilestoneStatus.BLOCKED)),
            overdue=Count(
                "milestones", filter=unfinished & Q(milestones__due_date__lt=overdue_before)
            ),
            oldest_due=Min(
                "milestones__due_date", filter=unfinished & Q(milestones__due_date__lt=today)
            ),
            last_started=Max("milestones__started_at"),
            last_completed=Max("milestones__completed_at"),
        )
        .order_by("account_id", "id")
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        start = datetime.combine(r["started_on"], time.min, tzinfo=idle_since.tzinfo)
        last = max(t for t in (r["last_started"], r["last_completed"], start) if t is not None)
        idle = last < idle_since
        if not (r["blocked"] or r["overdue"] or idle):
            continue
        a = out.setdefault(
            r["account_id"],
            {
                "account_id": r["account_id"],
                "owner_id": r["account__owner_id"],
                "plan_ids": [],
                "blocked": 0,
                "overdue": 0,
                "max_days_overdue": None,
                "idle": False,
                "last_progress_at": None,
            },
        )
        a["plan_ids"].append(r["id"])
        a["blocked"] += r["blocked"]
        a["overdue"] += r["overdue"]
        if r["overdue"] and r["oldest_due"] is not None:
            late = (today - r["oldest_due"]).days
            a["max_days_overdue"] = max(a["max_days_overdue"] or 0, late)
        a["idle"] = a["idle"] or idle
        a["last_progress_at"] = max(filter(None, [a["last_progress_at"], last]))
    return list(out.values())
