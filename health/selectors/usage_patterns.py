"""Engagement patterns over usage history: start-month cohorts and per-account anomalies.

Both are computed in SQL over all accounts in scope (a grouped query each), never in a
per-account loop.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    StdDev,
    Value,
    When,
)
from django.db.models.functions import Abs, Cast, ExtractMonth, ExtractYear, TruncMonth

from health.models import UsageDaily
from health.scoring.numbers import round_half_up

PATTERN_DEFINITIONS = {
    "cohort": "Accounts grouped by the calendar month of customer_since.",
    "month_offset": "Calendar months since the cohort month (0 = the start month).",
    "retention_pct": "Share of the cohort's accounts with at least one day of active users > 0 "
    "in that month; months that have not started yet are omitted, not zero.",
    "anomaly": "Mean daily active users over the last 7 days deviates from the account's own "
    "baseline (the preceding weeks) by more than sigma × the baseline's population standard "
    "deviation. Only days with a usage row count (a missing day is no data, not zero).",
    "z_score": "(recent_mean − baseline_mean) / baseline_std; null when the baseline is flat "
    "(std 0), in which case any change is reported.",
}


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def engagement_cohorts(accounts: QuerySet, *, today: date, months: int) -> list[dict[str, Any]]:
    """Active-usage retention per start-month cohort for the last `months` cohorts."""
    first = _add_months(date(today.year, today.month, 1), -(months - 1))
    members = accounts.filter(customer_since__gte=first, customer_since__lte=today)
    sizes = {
        _as_date(r["cohort"]): r
        for r in members.annotate(
            cohort=TruncMonth("customer_since"),
            has_usage=Exists(UsageDaily.objects.filter(account_id=OuterRef("pk"))),
        )
        .order_by()
        .values("cohort")
        .annotate(
            n=Count("id"),
            with_usage=Count("id", filter=Q(has_usage=True)),
        )
    }
    offset = (ExtractYear("date") - ExtractYear("account__customer_since")) * 12 + (
        ExtractMonth("date") - ExtractMonth("account__customer_since")
    )
    cells = (
        UsageDaily.objects.filter(
            account__in=members.values("pk"),
            active_users__gt=0,
            date__gte=F("account__customer_since"),
            date__lte=today,
        )
        .annotate(cohort=TruncMonth("account__customer_since"), offset=offset)
        .order_by()
        .values("cohort", "offset")
        .annotate(active=Count("account_id", distinct=True))
    )
    active = {(_as_date(c["cohort"]), c["offset"]): c["active"] for c in cells}
    out = []
    for cohort in sorted(sizes):
        size = sizes[cohort]["n"]
        span = _months_between(cohort, today)
        out.append(
            {
                "cohort_month": cohort,
                "accounts": size,
                "accounts_with_usage_data": sizes[cohort]["with_usage"],
                "retention": [
                    {
                        "month_offset": m,
                        "active_accounts": active.get((cohort, m), 0),
                        "retention_pct": round_half_up(
                            active.get((cohort, m), 0) * 100.0 / size, 1
                        ),
                    }
                    for m in range(span + 1)
                ],
            }
        )
    return out


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def engagement_anomalies(
    accounts: QuerySet,
    *,
    today: date,
    sigma: float,
    baseline_weeks: int,
    min_baseline_days: int,
) -> QuerySet:
    """Accounts whose last-7-day mean active users left their own baseline band.

    Rows: account_id, account__name, recent_mean, recent_days, baseline_mean,
    baseline_std, baseline_days, deviation, z_abs (null for a flat baseline). Ordered by
    z_abs descending (flat-baseline changes first), then account id.
    """
    recent_start = today - timedelta(days=6)
    base_start = recent_start - timedelta(weeks=baseline_weeks)
    recent = Q(date__gte=recent_start)
    base = Q(date__lt=recent_start)
    as_float = Cast("active_users", FloatField())
    return (
        UsageDaily.objects.filter(
            account__in=accounts.values("pk"), date__gte=base_start, date__lte=today
        )
        .order_by()
        .values("account_id", "account__name")
        .annotate(
            recent_days=Count("id", filter=recent),
            recent_mean=Avg(as_float, filter=recent),
            baseline_days=Count("id", filter=base),
            baseline_mean=Avg(as_float, filter=base),
            baseline_std=StdDev(as_float, filter=base),
        )
        .filter(baseline_days__gte=min_baseline_days, recent_days__gte=1)
        .annotate(
            deviation=Cast(F("recent_mean") - F("baseline_mean"), FloatField()),
            abs_deviation=Abs(Cast(F("recent_mean") - F("baseline_mean"), FloatField())),
        )
        .filter(
            abs_deviation__gt=ExpressionWrapper(
                F("baseline_std") * Value(float(sigma)), output_field=FloatField()
            )
        )
        .annotate(
            z_abs=Case(
                When(
                    baseline_std__gt=0,
                    then=Cast(F("abs_deviation") / F("baseline_std"), FloatField()),
                ),
                default=None,
                output_field=FloatField(),
            )
        )
        .order_by(F("z_abs").desc(nulls_first=True), "account_id")
    )


def anomaly_after(qs: QuerySet, *, z_abs: float | None, account_id: int) -> QuerySet:
    """Keyset continuation for `engagement_anomalies` ordering."""
    if z_abs is None:
        return qs.filter(Q(z_abs__isnull=True, account_id__gt=account_id) | Q(z_abs__isnull=False))
    return qs.filter(Q(z_abs__lt=z_abs) | Q(z_abs=z_abs, account_id__gt=account_id))


def engagement_anomaly_skipped(
    accounts: QuerySet, *, today: date, baseline_weeks: int, min_baseline_days: int
) -> int:
    """How many accounts in scope had too little history to judge (reported, not hidden)."""
    recent_start = today - timedelta(days=6)
    base_start = recent_start - timedelta(weeks=baseline_weeks)
    judged = (
        UsageDaily.objects.filter(date__gte=base_start, date__lte=today)
        .order_by()
        .values("account_id")
        .annotate(
            b=Count("id", filter=Q(date__lt=recent_start)),
            r=Count("id", filter=Q(date__gte=recent_start)),
        )
        .filter(b__gte=min_baseline_days, r__gte=1)
        .values("account_id")
    )
    return accounts.exclude(pk__in=judged).count()


def engagement_silent(
    accounts: QuerySet,
    *,
    today: date,
    baseline_weeks: int,
    min_baseline_days: int,
    covered: Q,
) -> list[dict[str, Any]]:
    """Accounts with a baseline but no usage row at all in the last 7 days (rows of zero
    are measured and judged by ``engagement_anomalies``): ``status`` is
    ``no_usage`` when a reporting analytics source covers the account (silence is zero
    usage: a drop) and ``no_data`` otherwise (nothing measured). Rows: account_id, name,
    status, last_usage_date, silent_days, baseline_mean. Worst (longest silent) first."""
    recent_start = today - timedelta(days=6)
    base_start = recent_start - timedelta(weeks=baseline_weeks)
    rows = (
        UsageDaily.objects.filter(
            account__in=accounts.values("pk"), date__gte=base_start, date__lte=today
        )
        .order_by()
        .values("account_id", "account__name")
        .annotate(
            recent_days=Count("id", filter=Q(date__gte=recent_start)),
            baseline_days=Count("id", filter=Q(date__lt=recent_start)),
            baseline_mean=Avg(Cast("active_users", FloatField()), filter=Q(date__lt=recent_start)),
            last_usage=Max("date", filter=Q(active_users__gt=0)),
            covered=Max(Case(When(covered, then=Value(1)), default=Value(0))),
        )
        .filter(baseline_days__gte=min_baseline_days, recent_days=0)
    )
    out = [
        {
            "account_id": r["account_id"],
            "name": r["account__name"],
            "status": "no_usage" if r["covered"] else "no_data",
            "last_usage_date": r["last_usage"],
            "silent_days": (today - r["last_usage"]).days if r["last_usage"] else None,
            "baseline_mean": round_half_up(r["baseline_mean"] or 0.0, 2),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-(r["silent_days"] or 0), r["account_id"]))
    return out
