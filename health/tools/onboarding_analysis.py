"""Onboarding analysis: progress per plan and tier, bottlenecks from milestone history and
time-to-value against the stated target, for an account, a segment or your book."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean

from django.db.models import QuerySet

from cs_platform.core.tools import ToolContext, tool
from customers.models import Account, PlanStatus
from customers.selectors import account_get_for_actor, account_list_for_actor
from customers.selectors.onboarding import (
    ACTIVE_PLAN,
    PlanProgress,
    milestone_history,
    plan_progress,
    plans_for_actor,
    ttv_summary,
)
from health.selectors.segments import segment_get, segment_member_accounts_for_actor
from health.tools.onboarding_analysis_contracts import (
    AccountTtvOut,
    BottleneckOut,
    FindingOut,
    OptimizeOnboardingProcessInput,
    OptimizeOnboardingProcessOutput,
    OptimizeTimeToValueInput,
    OptimizeTimeToValueOutput,
    PlanProgressOut,
    TierProgressOut,
    TrackOnboardingProgressInput,
    TrackOnboardingProgressOutput,
)


def _accounts(
    ctx: ToolContext, account_id: int | None, segment_key: str | None
) -> QuerySet[Account]:
    accounts = account_list_for_actor(ctx.actor)
    if account_id is not None:
        account_get_for_actor(ctx.actor, account_id)
        accounts = accounts.filter(pk=account_id)
    if segment_key:
        members = segment_member_accounts_for_actor(ctx.actor, segment_get(segment_key))
        accounts = accounts.filter(pk__in=members.values("pk"))
    return accounts


def _tier_rows(progress: list[PlanProgress], target: int | None) -> list[TierProgressOut]:
    by_tier: dict[str, list[PlanProgress]] = {}
    for p in progress:
        by_tier.setdefault(p.plan.account.tier, []).append(p)
    return [_tier(tier, rows, target) for tier, rows in sorted(by_tier.items())]


def _tier(tier: str, rows: list[PlanProgress], target: int | None) -> TierProgressOut:
    active = [p for p in rows if p.plan.status in ACTIVE_PLAN]
    ttv = ttv_summary(rows, target)
    return TierProgressOut(
        tier=tier,
        active_plans=len(active),
        on_track_pct=round(100 * sum(p.on_track for p in active) / len(active), 1)
        if active
        else None,
        avg_progress_pct=round(mean(p.progress_pct for p in active), 1) if active else None,
        plans_completed=ttv["plans_completed"],
        ttv_days_median=ttv["ttv_days_median"],
        target_days_median=ttv["target_days_median"],
        within_target_pct=ttv["within_target_pct"],
    )


@tool(permission="read", read_only=True)
def track_onboarding_progress(
    ctx: ToolContext, params: TrackOnboardingProgressInput
) -> TrackOnboardingProgressOutput:
    """Onboarding progress from milestones: per plan the done share, current, overdue and
    blocked milestones and whether it is on track; per tier the on-track share and
    time-to-value (start → completion) against the plans' stated targets; and the
    slowest milestones from their history. For an account, a segment or your book."""
    accounts = _accounts(ctx, params.account_id, params.segment_key)
    today = ctx.now.date()
    progress = [plan_progress(p, today) for p in plans_for_actor(ctx.actor, accounts=accounts)]
    wanted = {
        "active": lambda p: p.plan.status in ACTIVE_PLAN,
        "completed": lambda p: p.plan.status == PlanStatus.COMPLETED,
        "all": lambda p: True,
    }[params.status]
    listed = sorted(
        (p for p in progress if wanted(p)), key=lambda p: (p.on_track, p.progress_pct, p.plan.pk)
    )
    plans_qs = plans_for_actor(ctx.actor, accounts=accounts).filter(status__in=ACTIVE_PLAN)
    return TrackOnboardingProgressOutput(
        as_of=ctx.now,
        plans=[
            PlanProgressOut(
                plan_id=p.plan.pk,
                account_id=p.plan.account_id,
                account=p.plan.account.name,
                tier=p.plan.account.tier,
                template=p.plan.template,
                status=p.plan.status,
                progress_pct=p.progress_pct,
                current_milestone=p.current,
                overdue=p.overdue,
                blocked=p.blocked,
                days_elapsed=p.days_elapsed,
                target_ttv_days=p.plan.target_ttv_days,
                ttv_days=p.ttv_days,
                on_track=p.on_track,
            )
            for p in listed[: params.limit]
        ],
        plans_total=len(listed),
        by_tier=_tier_rows(progress, None),
        bottlenecks=[BottleneckOut(**r) for r in milestone_history(plans_qs, today)[:5]],
    )


@tool(permission="read", read_only=True)
def optimize_onboarding_process(
    ctx: ToolContext, params: OptimizeOnboardingProcessInput
) -> OptimizeOnboardingProcessOutput:
    """Where onboarding slows down, from the milestone history of plans started in the
    last `days` days: per milestone how many finished, median/p90 days from start to
    done, the share finished after its due date, and how many are blocked, overdue or
    in progress now; findings name the slowest, most often late, most blocked and most
    overdue milestone with its value."""
    accounts = _accounts(ctx, params.account_id, params.segment_key)
    today = ctx.now.date()
    plans = plans_for_actor(ctx.actor, accounts=accounts).filter(
        started_on__gte=today - timedelta(days=params.days)
    )
    if params.template:
        plans = plans.filter(template=params.template)
    table = milestone_history(plans, today)
    findings = []
    for name, metric in (
        ("slowest", "median_days"),
        ("most_late", "late_pct"),
        ("most_blocked", "blocked_now"),
        ("most_overdue", "overdue_now"),
    ):
        best = max(
            (r for r in table if r[metric]), key=lambda r: (r[metric], r["key"]), default=None
        )
        if best is not None:
            findings.append(
                FindingOut(milestone=best["key"], finding=name, value=float(best[metric]))
            )
    return OptimizeOnboardingProcessOutput(
        as_of=ctx.now,
        plans=plans.count(),
        milestones=[BottleneckOut(**r) for r in table],
        findings=findings,
        stalled_plans=plans.filter(status=PlanStatus.STALLED).count(),
    )


@tool(permission="read", read_only=True)
def optimize_time_to_value(
    ctx: ToolContext, params: OptimizeTimeToValueInput
) -> OptimizeTimeToValueOutput:
    """Time-to-value measured from onboarding plans started in the last `days` days:
    start → completion for completed plans, days elapsed for active ones, judged against
    each plan's stated target (or target_days). Overall and per tier: median TTV, median
    target, share within target, active plans already past it; and the accounts furthest
    over target."""
    accounts = _accounts(ctx, params.account_id, params.segment_key)
    today = ctx.now.date()
    plans = plans_for_actor(ctx.actor, accounts=accounts).filter(
        started_on__gte=today - timedelta(days=params.days)
    )
    progress = [plan_progress(p, today) for p in plans]
    rows = []
    for p in progress:
        target = params.target_days or p.plan.target_ttv_days
        measured = p.ttv_days if p.ttv_days is not None else p.days_elapsed
        over = measured - target if measured is not None and target else None
        if p.plan.status == PlanStatus.COMPLETED or p.plan.status in ACTIVE_PLAN:
            rows.append((over, p, target))
    rows.sort(key=lambda r: (-(r[0] if r[0] is not None else -(10**6)), r[1].plan.pk))
    return OptimizeTimeToValueOutput(
        as_of=ctx.now,
        overall=_tier("all", progress, params.target_days),
        by_tier=_tier_rows(progress, params.target_days),
        furthest_over_target=[
            AccountTtvOut(
                account_id=p.plan.account_id,
                account=p.plan.account.name,
                tier=p.plan.account.tier,
                status=p.plan.status,
                started_on=p.plan.started_on,
                ttv_days=p.ttv_days,
                days_elapsed=p.days_elapsed,
                target_days=target,
                over_target_days=over,
            )
            for over, p, target in rows[:10]
            if over is not None and over > 0
        ],
    )
