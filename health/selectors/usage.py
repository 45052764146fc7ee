"""Usage roll-ups computed from `UsageDaily` rows, for many accounts in one query each.

There is no per-user data, only daily counts, so WAU and MAU cannot be distinct-user
counts; they are defined here (and in every answer's `definitions`) as the peak daily
active users in the window, which is a lower bound of the distinct users in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    FloatField,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncWeek

from health.models import UsageDaily
from health.scoring.numbers import round_half_up

ENGAGEMENT_DEFINITIONS = {
    "avg_dau_last_30": "Sum of daily active users over the last 30 calendar days / 30 (a day "
    "without a usage row counts as 0, as in get_client_overview).",
    "wau": "Peak daily active users in the last 7 days: a lower bound of weekly distinct users "
    "(only daily counts are stored, not user ids).",
    "mau": "Peak daily active users in the last 30 days: a lower bound of monthly distinct users.",
    "stickiness_pct": "avg_dau_last_30 / mau × 100.",
    "trend_pct": "Active-user days in the last 30 days vs the 30 before, in %; null without a "
    "prior-window baseline.",
    "weekly": "ISO weeks (Monday start); a week without usage rows has days_with_data 0 and null "
    "counts.",
}


def _pct_change(last: float | None, prev: float | None) -> float | None:
    if not prev:
        return None
    return round_half_up(((last or 0) - prev) * 100.0 / prev, 1)


def usage_engagement_for_accounts(
    account_ids: Iterable[int], *, today: date
) -> dict[int, dict[str, Any]]:
    """Engagement roll-ups per account (one grouped query over the accounts' history)."""
    ids = list(account_ids)
    d7, d30, d60 = (today - timedelta(days=n) for n in (6, 29, 59))
    last, prev = Q(date__gte=d30, date__lte=today), Q(date__gte=d60, date__lt=d30)
    rows = (
        UsageDaily.objects.filter(account_id__in=ids, date__lte=today)
        .order_by()
        .values("account_id")
        .annotate(
            users_last=Sum("active_users", filter=last),
            users_prev=Sum("active_users", filter=prev),
            days_last=Count("id", filter=last),
            days_prev=Count("id", filter=prev),
            sessions_last=Sum("sessions", filter=last),
            events_last=Sum("events", filter=last),
            minutes_last=Sum("minutes", filter=last),
            wau=Max("active_users", filter=Q(date__gte=d7, date__lte=today)),
            mau=Max("active_users", filter=last),
            last_active=Max("date", filter=Q(active_users__gt=0)),
            first_day=Min("date"),
            days_total=Count("id"),
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        avg_last = round_half_up(r["users_last"] / 30, 1) if r["days_last"] else None
        out[r["account_id"]] = {
            "days_with_data_last_30": r["days_last"],
            "days_with_data_prev_30": r["days_prev"],
            "avg_dau_last_30": avg_last,
            "avg_dau_prev_30": round_half_up(r["users_prev"] / 30, 1) if r["days_prev"] else None,
            "wau": r["wau"],
            "mau": r["mau"],
            "stickiness_pct": round_half_up(avg_last * 100.0 / r["mau"], 1)
            if avg_last is not None and r["mau"]
            else None,
            "sessions_last_30": r["sessions_last"] if r["days_last"] else None,
            "events_last_30": r["events_last"] if r["days_last"] else None,
            "minutes_last_30": r["minutes_last"] if r["days_last"] else None,
            "trend_pct": _pct_change(r["users_last"], r["users_prev"]) if r["days_prev"] else None,
            "last_active_date": r["last_active"],
            "first_usage_date": r["first_day"],
            "days_with_data_total": r["days_total"],
        }
    return out


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def usage_weekly_for_accounts(
    account_ids: Iterable[int], *, today: date, weeks: int
) -> dict[int, list[dict[str, Any]]]:
    """The last `weeks` ISO weeks per account, oldest first, gaps kept as empty weeks."""
    ids = list(account_ids)
    first = week_start(today) - timedelta(weeks=weeks - 1)
    rows = (
        UsageDaily.objects.filter(account_id__in=ids, date__gte=first, date__lte=today)
        .annotate(week=TruncWeek("date"))
        .order_by()
        .values("account_id", "week")
        .annotate(
            days=Count("id"),
            user_days=Sum("active_users"),
            peak=Max("active_users"),
            sessions=Sum("sessions"),
            events=Sum("events"),
        )
    )
    found = {(r["account_id"], _as_date(r["week"])): r for r in rows}
    series: dict[int, list[dict[str, Any]]] = {}
    for account_id in ids:
        points = []
        for n in range(weeks):
            start = first + timedelta(weeks=n)
            r = found.get((account_id, start))
            points.append(
                {
                    "week_start": start,
                    "days_with_data": r["days"] if r else 0,
                    "active_user_days": r["user_days"] if r else None,
                    "peak_dau": r["peak"] if r else None,
                    "sessions": r["sessions"] if r else None,
                    "events": r["events"] if r else None,
                }
            )
        series[account_id] = points
    return series


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def usage_change_by_account(
    *,
    today: date,
    window_days: int,
    account_qs: QuerySet | None = None,
    covered: Q | None = None,
) -> QuerySet:
    """Per account: active-user days in the last `window_days` and in the window before.

    Rows: account_id, account__owner_id, users_last, users_prev, days_last, days_prev,
    covered, change_pct. Only accounts with active users in the prior window (a baseline)
    are returned. For accounts matching `covered` (a reporting analytics source, see
    `usage_sources.usage_source_q`) a day without a row is a measured zero, so
    change_pct compares the windows' sums; for the others it is a gap, so change_pct
    compares the mean over the days that have rows, and an account with no row at all in
    the last window has no change_pct (no data). One grouped query.
    """
    last_start = today - timedelta(days=window_days - 1)
    prev_start = today - timedelta(days=2 * window_days - 1)
    last, prev = Q(date__gte=last_start), Q(date__lt=last_start)
    qs = UsageDaily.objects.filter(date__gte=prev_start, date__lte=today)
    if account_qs is not None:
        qs = qs.filter(account_id__in=account_qs.values("pk"))
    covered_q = covered if covered is not None else Q(pk__in=[])
    as_float = FloatField()
    by_sum = (
        (Cast(Coalesce("users_last", 0), as_float) - Cast("users_prev", as_float))
        * 100.0
        / Cast("users_prev", as_float)
    )
    mean_last = Cast("users_last", as_float) / Cast("days_last", as_float)
    mean_prev = Cast("users_prev", as_float) / Cast("days_prev", as_float)
    by_mean = (mean_last - mean_prev) * 100.0 / mean_prev
    return (
        qs.order_by()
        .values("account_id", "account__owner_id")
        .annotate(
            users_last=Sum("active_users", filter=last),
            users_prev=Sum("active_users", filter=prev),
            days_last=Count("id", filter=last),
            days_prev=Count("id", filter=prev),
            covered=Max(
                Case(When(covered_q, then=Value(1)), default=Value(0)),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            change_pct=Case(
                When(covered=1, then=by_sum),
                When(days_last__gt=0, then=by_mean),
                default=None,
                output_field=as_float,
            )
        )
        .filter(users_prev__gt=0)
    )
