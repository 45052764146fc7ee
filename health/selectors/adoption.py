"""Feature adoption and adoption milestones, from `FeatureAdoption`, `UsageDaily` and
onboarding plans (a fixed number of queries whatever the history)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum

from customers.models import Account, OnboardingPlan
from health.models import Feature, FeatureAdoption, UsageDaily
from health.scoring.numbers import round_half_up


def feature_page(
    *, category: str | None, after_key: str | None, limit: int
) -> tuple[list[Feature], bool]:
    qs = Feature.objects.filter(is_tracked=True).order_by("key")
    if category:
        qs = qs.filter(category=category)
    if after_key is not None:
        qs = qs.filter(key__gt=after_key)
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def feature_adoption_for_account(
    account_id: int, feature_ids: list[int]
) -> dict[int, FeatureAdoption]:
    return {
        a.feature_id: a
        for a in FeatureAdoption.objects.filter(account_id=account_id, feature_id__in=feature_ids)
    }


def feature_breadth_for_account(account_id: int, *, today: date) -> dict[str, Any]:
    since = today - timedelta(days=29)
    tracked = Feature.objects.filter(is_tracked=True)
    agg = FeatureAdoption.objects.filter(account_id=account_id, feature__in=tracked).aggregate(
        used_ever=Count("id"),
        used_last_30d=Count("id", filter=Q(last_used_on__gte=since)),
    )
    n = tracked.count()
    return {
        "tracked_features": n,
        "used_ever": agg["used_ever"],
        "used_last_30d": agg["used_last_30d"],
        "breadth_pct": round_half_up(agg["used_last_30d"] * 100.0 / n, 1) if n else None,
    }


def feature_adoption_portfolio(
    features: list[Feature], accounts: QuerySet[Account], *, today: date
) -> dict[int, dict[str, Any]]:
    """Per feature: accounts in `accounts` using it ever / in the last 30 days, totals."""
    since = today - timedelta(days=29)
    rows = (
        FeatureAdoption.objects.filter(
            feature__in=[f.pk for f in features], account_id__in=accounts.values("pk")
        )
        .order_by()
        .values("feature_id")
        .annotate(
            using=Count("account_id", distinct=True),
            active=Count("account_id", filter=Q(last_used_on__gte=since), distinct=True),
            users=Sum("users_last_30d", filter=Q(last_used_on__gte=since)),
            events=Sum("events_total"),
        )
    )
    return {r["feature_id"]: r for r in rows}


def onboarding_plan_latest(account_id: int) -> tuple[OnboardingPlan | None, list[Any]]:
    plan = (
        OnboardingPlan.objects.filter(account_id=account_id).order_by("-created_at", "-id").first()
    )
    if plan is None:
        return None, []
    return plan, list(plan.milestones.order_by("position", "id")[:200])


def usage_milestone_dates(
    account: Account, *, seat_share_pcts: list[int], feature_counts: list[int]
) -> dict[str, Any]:
    """The first day each usage milestone was reached (two queries).

    Seat-share milestones need licensed seats; they are None (missing) without them.
    """
    thresholds = {}
    if account.seats_licensed:
        thresholds = {p: math.ceil(account.seats_licensed * p / 100) for p in seat_share_pcts}
    aggs: dict[str, Any] = {"first_active": Min("date", filter=Q(active_users__gt=0))}
    for p, users in thresholds.items():
        aggs[f"seats_{p}"] = Min("date", filter=Q(active_users__gte=users))
    usage = UsageDaily.objects.filter(account=account).aggregate(**aggs)
    firsts = list(
        FeatureAdoption.objects.filter(account=account)
        .order_by("first_used_on")
        .values_list("first_used_on", flat=True)[: max(feature_counts)]
    )
    return {
        "first_active": usage["first_active"],
        "seats": {p: usage.get(f"seats_{p}") for p in seat_share_pcts} if thresholds else None,
        "seat_users": thresholds,
        "features": {n: firsts[n - 1] if len(firsts) >= n else None for n in feature_counts},
        "has_feature_data": bool(firsts),
    }
