"""Per-account signal summaries for the account 360 (each one query, whatever the history)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Q, Sum

from health.models import HealthScore, SurveyKind, SurveyResponse, UsageDaily


def health_latest_for_account(account_id: int) -> HealthScore | None:
    return (
        HealthScore.objects.select_related("scorecard", "override")
        .filter(latest_of__account_id=account_id)
        .first()
    )


def usage_summary_for_account(account_id: int, *, today: date) -> dict[str, Any]:
    """Last 30 days against the 30 before, from daily rows. Missing data stays None."""
    last_start = today - timedelta(days=29)
    prev_start = today - timedelta(days=59)
    agg = UsageDaily.objects.filter(account_id=account_id, date__gte=prev_start).aggregate(
        last_users=Sum("active_users", filter=Q(date__gte=last_start)),
        prev_users=Sum("active_users", filter=Q(date__lt=last_start)),
        last_sessions=Sum("sessions", filter=Q(date__gte=last_start)),
        last_days=Count("id", filter=Q(date__gte=last_start)),
        prev_days=Count("id", filter=Q(date__lt=last_start)),
        peak_dau=Max("active_users", filter=Q(date__gte=last_start)),
        last_seen=Max("date", filter=Q(active_users__gt=0)),
    )
    last_users, prev_users = agg["last_users"], agg["prev_users"]
    trend = None
    if agg["prev_days"] and prev_users:
        trend = round(((last_users or 0) - prev_users) * 100.0 / prev_users, 1)
    return {
        "window_days": 30,
        "days_with_data_last_30": agg["last_days"],
        "avg_dau_last_30": round(last_users / 30, 1) if agg["last_days"] else None,
        "avg_dau_prev_30": round(prev_users / 30, 1) if agg["prev_days"] else None,
        "peak_dau_last_30": agg["peak_dau"],
        "sessions_last_30": last_sessions
        if (last_sessions := agg["last_sessions"])
        else (0 if agg["last_days"] else None),
        "trend_pct": trend,
        "last_active_date": agg["last_seen"],
    }


def survey_summary_for_account(account_id: int, *, today: date, days: int = 180) -> dict[str, Any]:
    """NPS (−100..100, from 0–10 answers) and CSAT/CES averages over a window."""
    since = today - timedelta(days=days)
    agg = SurveyResponse.objects.filter(
        account_id=account_id, responded_at__date__gte=since
    ).aggregate(
        nps_n=Count("id", filter=Q(kind=SurveyKind.NPS)),
        promoters=Count("id", filter=Q(kind=SurveyKind.NPS, score__gte=9)),
        detractors=Count("id", filter=Q(kind=SurveyKind.NPS, score__lte=6)),
        nps_answer_avg=Avg("score", filter=Q(kind=SurveyKind.NPS)),
        csat_n=Count("id", filter=Q(kind=SurveyKind.CSAT)),
        csat_avg=Avg("score", filter=Q(kind=SurveyKind.CSAT)),
        last_response=Max("responded_at"),
    )
    nps_n = agg["nps_n"]
    return {
        "window_days": days,
        "nps_responses": nps_n,
        "nps": round((agg["promoters"] - agg["detractors"]) * 100.0 / nps_n, 1) if nps_n else None,
        "nps_answer_avg": round(agg["nps_answer_avg"], 2) if nps_n else None,
        "promoters": agg["promoters"],
        "detractors": agg["detractors"],
        "passives": nps_n - agg["promoters"] - agg["detractors"],
        "csat_responses": agg["csat_n"],
        "csat_avg": round(agg["csat_avg"], 2) if agg["csat_n"] else None,
        "last_response_at": agg["last_response"],
    }
