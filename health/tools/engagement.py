"""Engagement tools: usage roll-ups, feature adoption, adoption milestones, cohorts and
anomalies. Thin: parse → selector → shape. Segmentation tools live in `segmentation`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.models import AccountStatus, MilestoneStatus
from customers.selectors import account_get_for_actor, account_list_for_actor
from health.scoring.numbers import round_half_up
from health.selectors.adoption import (
    feature_adoption_for_account,
    feature_adoption_portfolio,
    feature_breadth_for_account,
    feature_page,
    onboarding_plan_latest,
    usage_milestone_dates,
)
from health.selectors.segments import segment_get, segment_member_accounts_for_actor
from health.selectors.usage import (
    ENGAGEMENT_DEFINITIONS,
    usage_engagement_for_accounts,
    usage_weekly_for_accounts,
)
from health.selectors.usage_patterns import (
    PATTERN_DEFINITIONS,
    anomaly_after,
    engagement_anomalies,
    engagement_anomaly_skipped,
    engagement_cohorts,
    engagement_silent,
)
from health.selectors.usage_sources import usage_source_q
from health.tools.engagement_contracts import (
    AnalyzeEngagementPatternsInput,
    AnalyzeEngagementPatternsOutput,
    TrackAdoptionMilestonesInput,
    TrackAdoptionMilestonesOutput,
    TrackFeatureAdoptionInput,
    TrackFeatureAdoptionOutput,
    TrackUsageEngagementInput,
    TrackUsageEngagementOutput,
)

_NULLABLE_MEASURES = (
    "avg_dau_last_30",
    "avg_dau_prev_30",
    "wau",
    "mau",
    "stickiness_pct",
    "trend_pct",
    "last_active_date",
)


def _page(rows: list[Any], has_next: bool, limit: int, key: dict[str, Any] | None) -> PageInfo:
    nxt = cursor_encode(key) if has_next and key else None
    return PageInfo(next_cursor=nxt, has_next=has_next, limit=limit)


@tool(permission="read", read_only=True)
def track_usage_engagement(
    ctx: ToolContext, params: TrackUsageEngagementInput
) -> TrackUsageEngagementOutput:
    """Product engagement from daily usage rows, for one account or a segment's accounts.

    Per account: average DAU over the last 30 days and the 30 before, WAU and MAU (peak
    daily active users in 7/30 days — a lower bound, as no per-user data is stored; see
    `definitions`), stickiness (DAU/MAU), sessions, events and minutes, the 30-vs-prior-30
    trend, last active date and a weekly series. Measures without data are null and
    named in `missing`. With `segment_key`, pages through the segment's current members
    in your book (`cursor`/`limit`).
    """
    today = ctx.now.date()
    if params.account_id is not None:
        accounts, has_next = [account_get_for_actor(ctx.actor, params.account_id)], False
    else:
        segment = segment_get(params.segment_key)
        after = cursor_decode(params.cursor, required_keys=("id",))
        qs = segment_member_accounts_for_actor(ctx.actor, segment).order_by("pk")
        if after:
            qs = qs.filter(pk__gt=after["id"])
        rows = list(qs.only("pk", "name")[: params.limit + 1])
        accounts, has_next = rows[: params.limit], len(rows) > params.limit
    ids = [a.pk for a in accounts]
    metrics = usage_engagement_for_accounts(ids, today=today)
    weekly = usage_weekly_for_accounts(ids, today=today, weeks=params.weeks)
    out = []
    for a in accounts:
        m = metrics.get(a.pk)
        if m is None:
            m = {"days_with_data_last_30": 0, "first_usage_date": None}
            missing = ["usage"]
        else:
            missing = [k for k in _NULLABLE_MEASURES if m.get(k) is None]
        out.append(
            {
                "account_id": a.pk,
                "name": a.name,
                **{k: m.get(k) for k in _NULLABLE_MEASURES},
                "days_with_data_last_30": m["days_with_data_last_30"],
                "sessions_last_30": m.get("sessions_last_30"),
                "events_last_30": m.get("events_last_30"),
                "minutes_last_30": m.get("minutes_last_30"),
                "first_usage_date": m.get("first_usage_date"),
                "weekly": weekly[a.pk],
                "missing": missing,
            }
        )
    return TrackUsageEngagementOutput(
        as_of=ctx.now,
        definitions=ENGAGEMENT_DEFINITIONS,
        accounts=out,
        page=_page(accounts, has_next, params.limit, {"id": ids[-1]} if ids else None),
    )


@tool(permission="read", read_only=True)
def track_feature_adoption(
    ctx: ToolContext, params: TrackFeatureAdoptionInput
) -> TrackFeatureAdoptionOutput:
    """Feature adoption from the per-feature usage roll-ups the product-usage sync keeps.

    With `account_id`: each tracked feature with whether the account uses it, first/last
    use, events, users in the last 30 days and their share of licensed seats, plus
    breadth (share of tracked features used in 30 days). Without: per feature, how many
    of your active accounts use it (ever / last 30 days) and the adoption rate. Paged by
    feature key.
    """
    today = ctx.now.date()
    after = cursor_decode(params.cursor, required_keys=("key",))
    features, has_next = feature_page(
        category=params.category, after_key=after.get("key"), limit=params.limit
    )
    missing = [] if features or after else ["features"]
    since = today - timedelta(days=29)
    result: dict[str, Any] = {"account_features": [], "portfolio_features": [], "breadth": None}
    if params.account_id is not None:
        account = account_get_for_actor(ctx.actor, params.account_id)
        adoption = feature_adoption_for_account(account.pk, [f.pk for f in features])
        breadth = feature_breadth_for_account(account.pk, today=today)
        if breadth["used_ever"] == 0:
            missing.append("feature_adoption")
            breadth["breadth_pct"] = None  # no adoption rows: unknown, not 0 %
        result["breadth"] = breadth
        scope_count = 1
        for f in features:
            a = adoption.get(f.pk)
            seats = account.seats_licensed
            result["account_features"].append(
                {
                    "feature_key": f.key,
                    "name": f.name,
                    "category": f.category,
                    "adopted": a is not None,
                    "first_used_on": a.first_used_on if a else None,
                    "last_used_on": a.last_used_on if a else None,
                    "days_since_last_use": (today - a.last_used_on).days if a else None,
                    "active_last_30d": bool(a and a.last_used_on >= since),
                    "events_total": a.events_total if a else None,
                    "users_last_30d": a.users_last_30d if a else None,
                    "seat_share_pct": round_half_up(a.users_last_30d * 100.0 / seats, 1)
                    if a and seats
                    else None,
                }
            )
    else:
        accounts = account_list_for_actor(ctx.actor).filter(status=AccountStatus.ACTIVE)
        scope_count = accounts.count()
        stats = feature_adoption_portfolio(features, accounts, today=today)
        for f in features:
            s = stats.get(f.pk, {})
            using, active = s.get("using", 0), s.get("active", 0)
            result["portfolio_features"].append(
                {
                    "feature_key": f.key,
                    "name": f.name,
                    "category": f.category,
                    "accounts_using": using,
                    "accounts_active_30d": active,
                    "adoption_pct": round_half_up(using * 100.0 / scope_count, 1)
                    if scope_count
                    else None,
                    "active_pct": round_half_up(active * 100.0 / scope_count, 1)
                    if scope_count
                    else None,
                    "users_last_30d_total": s.get("users") or 0,
                    "events_total": s.get("events") or 0,
                }
            )
    return TrackFeatureAdoptionOutput(
        as_of=ctx.now,
        account_id=params.account_id,
        accounts_in_scope=scope_count,
        missing=missing,
        page=_page(
            features, has_next, params.limit, {"key": features[-1].key} if features else None
        ),
        **result,
    )


def _plan_block(plan: Any, milestones: list[Any], today: Any) -> dict[str, Any]:
    closed = (MilestoneStatus.DONE, MilestoneStatus.SKIPPED)
    rows = []
    for m in milestones:
        done_day = m.completed_at.date() if m.completed_at else None
        rows.append(
            {
                "key": m.key,
                "name": m.name,
                "position": m.position,
                "status": m.status,
                "due_date": m.due_date,
                "completed_at": m.completed_at,
                "overdue": bool(m.due_date and m.due_date < today and m.status not in closed),
                "days_from_start": (done_day - plan.started_on).days
                if done_day and plan.started_on
                else None,
            }
        )
    counted = [m for m in milestones if m.status != MilestoneStatus.SKIPPED]
    done = sum(1 for m in counted if m.status == MilestoneStatus.DONE)
    return {
        "plan_id": plan.pk,
        "template": plan.template,
        "status": plan.status,
        "started_on": plan.started_on,
        "target_date": plan.target_date,
        "completed_on": plan.completed_on,
        "milestones_total": len(milestones),
        "milestones_done": done,
        "milestones_overdue": sum(1 for r in rows if r["overdue"]),
        "progress_pct": round_half_up(done * 100.0 / len(counted), 1) if counted else None,
        "milestones": rows,
    }


@tool(permission="read", read_only=True)
def track_adoption_milestones(
    ctx: ToolContext, params: TrackAdoptionMilestonesInput
) -> TrackAdoptionMilestonesOutput:
    """Adoption milestones one account has reached, from onboarding and usage rows.

    Onboarding: the latest plan's milestones with status, due dates, overdue flags and
    progress. Usage: the first day with active users, the first day daily active users
    reached each share of licensed seats (`seat_share_pcts`), and the day the account had
    used N distinct features (`feature_counts`) — each with days since customer_since.
    Milestones that cannot be judged (no seats, no usage rows) are named in `missing`.
    """
    account = account_get_for_actor(ctx.actor, params.account_id)
    today = ctx.now.date()
    plan, milestones = onboarding_plan_latest(account.pk)
    pcts = sorted(set(params.seat_share_pcts))
    counts = sorted(set(params.feature_counts))
    dates = usage_milestone_dates(account, seat_share_pcts=pcts, feature_counts=counts)
    start = account.customer_since
    missing = [] if plan else ["onboarding_plan"]
    if dates["first_active"] is None:
        missing.append("usage")
    if dates["seats"] is None:
        missing.append("seats_licensed")
    if not dates["has_feature_data"]:
        missing.append("feature_adoption")
    if start is None:
        missing.append("customer_since")

    def row(key: str, label: str, day: Any) -> dict[str, Any]:
        return {
            "key": key,
            "label": label,
            "reached": day is not None,
            "reached_on": day,
            "days_from_start": (day - start).days if day and start else None,
        }

    usage = [row("first_active_day", "First day with active users", dates["first_active"])]
    if dates["seats"] is not None:
        for p in pcts:
            users = dates["seat_users"][p]
            usage.append(
                row(f"seats_{p}pct", f"{users} daily users ({p}% of seats)", dates["seats"][p])
            )
    for n in counts:
        usage.append(row(f"features_{n}", f"{n} features used", dates["features"][n]))
    onboarding = _plan_block(plan, milestones, today) if plan else None
    reached = sum(1 for u in usage if u["reached"]) + (
        onboarding["milestones_done"] if onboarding else 0
    )
    total = len(usage) + (onboarding["milestones_total"] if onboarding else 0)
    return TrackAdoptionMilestonesOutput(
        as_of=ctx.now,
        account_id=account.pk,
        customer_since=start,
        seats_licensed=account.seats_licensed,
        onboarding=onboarding,
        usage_milestones=usage,
        reached=reached,
        total=total,
        missing=missing,
    )


@tool(permission="read", read_only=True)
def analyze_engagement_patterns(
    ctx: ToolContext, params: AnalyzeEngagementPatternsInput
) -> AnalyzeEngagementPatternsOutput:
    """Engagement cohorts and anomalies over your book, computed from usage history.

    Cohorts: accounts grouped by customer_since month, with the share active (any day
    with active users) in each month since start. Anomalies: accounts whose mean daily
    active users over the last 7 days deviates from their own baseline (the preceding
    `baseline_weeks`) by more than `sigma` standard deviations, worst first, with the
    numbers. Silent accounts (a baseline, no usage in 7 days) are listed apart: `no_usage`
    when a reporting analytics source covers them (a drop), `no_data` when none does.
    Accounts with too little history are counted, not judged. Paged anomalies.
    """
    today = ctx.now.date()
    scope = account_list_for_actor(ctx.actor)
    raw = cursor_decode(params.cursor, required_keys=("z", "id"))
    anomalies = engagement_anomalies(
        scope,
        today=today,
        sigma=params.sigma,
        baseline_weeks=params.baseline_weeks,
        min_baseline_days=params.min_baseline_days,
    )
    if raw:
        try:
            z = None if raw["z"] is None else float(raw["z"])
            anomalies = anomaly_after(anomalies, z_abs=z, account_id=int(raw["id"]))
        except (TypeError, ValueError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
    silent = engagement_silent(
        scope,
        today=today,
        baseline_weeks=params.baseline_weeks,
        min_baseline_days=params.min_baseline_days,
        covered=usage_source_q(ctx.now, prefix="account__"),
    )
    rows = list(anomalies[: params.limit + 1])
    page_rows, has_next = rows[: params.limit], len(rows) > params.limit
    last = page_rows[-1] if page_rows else None
    return AnalyzeEngagementPatternsOutput(
        as_of=ctx.now,
        definitions=PATTERN_DEFINITIONS,
        cohorts=engagement_cohorts(scope, today=today, months=params.cohort_months),
        anomalies=[
            {
                "account_id": r["account_id"],
                "name": r["account__name"],
                "direction": "drop" if r["deviation"] < 0 else "spike",
                "recent_mean": round_half_up(r["recent_mean"], 2),
                "recent_days": r["recent_days"],
                "baseline_mean": round_half_up(r["baseline_mean"], 2),
                "baseline_std": round_half_up(r["baseline_std"], 2),
                "baseline_days": r["baseline_days"],
                "deviation": round_half_up(r["deviation"], 2),
                "z_score": None
                if r["z_abs"] is None
                else round_half_up(r["z_abs"] if r["deviation"] > 0 else -r["z_abs"], 2),
            }
            for r in page_rows
        ],
        silent=silent[: params.limit],
        accounts_silent_no_usage=sum(1 for r in silent if r["status"] == "no_usage"),
        accounts_silent_no_data=sum(1 for r in silent if r["status"] == "no_data"),
        # Silent accounts are reported above, not counted as lacking history.
        accounts_skipped_insufficient_history=engagement_anomaly_skipped(
            scope,
            today=today,
            baseline_weeks=params.baseline_weeks,
            min_baseline_days=params.min_baseline_days,
        )
        - len(silent),
        page=_page(
            page_rows,
            has_next,
            params.limit,
            {"z": last["z_abs"], "id": last["account_id"]} if last else None,
        ),
    )
