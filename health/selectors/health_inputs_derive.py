"""Turning one account's aggregated row into its inputs (ratios, missing codes, as_of).

Split from ``health_inputs`` so the SQL plumbing and the per-input rules read separately;
each function documents the rule it applies, see ``health.scoring.default_scorecard``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from health.selectors.health_inputs_types import (
    PAYMENT_STATUSES,
    AccountInputs,
    to_date,
    to_datetime,
)

if TYPE_CHECKING:
    from health.selectors.health_inputs_types import Windows


def account_inputs_from_row(r: dict[str, Any], w: Windows) -> AccountInputs:
    out = AccountInputs(r["account_id"])
    window_end = w.as_of
    seats = r["contract_seats"] or (r["account_seats"] if w.is_current else None) or None
    _usage(out, r, w, seats)
    _features(out, r, w)
    _support(out, r, window_end, seats)
    _sentiment(out, r)
    _commercial(out, r, w)
    _engagement(out, r, w)
    return out


def _usage(out: AccountInputs, r: dict[str, Any], w: Windows, seats: int | None) -> None:
    last_date = to_date(r["usage_last_date"])
    prev = r["users_prev"] or 0
    if r["days_prev"] and prev > 0:
        last = r["users_last"] or 0
        out.put("usage_trend_pct", round(100.0 * (last - prev) / prev, 2), last_date)
    else:
        out.put("usage_trend_pct", None, missing="no_usage_baseline")
    if not seats:
        out.put("active_user_share", None, missing="seats_unknown")
    elif not r["days_last"]:
        out.put("active_user_share", None, missing="no_usage_last_30d")
    else:
        # UsageDaily keeps daily counts, not user ids: the peak day is the largest number of
        # distinct users we can prove were active in the window (a lower bound).
        out.put("active_user_share", round(r["peak_users_last"] / seats, 4), last_date)


def _features(out: AccountInputs, r: dict[str, Any], w: Windows) -> None:
    if not w.is_current:
        out.put("feature_breadth", None, missing="no_history_for_past_as_of")
    elif not r["tracked_features"]:
        out.put("feature_breadth", None, missing="no_tracked_features")
    elif r["features_last_used"] is None:
        out.put("feature_breadth", None, missing="no_feature_data_for_account")
    else:
        share = round(r["features_30d"] / r["tracked_features"], 4)
        out.put("feature_breadth", share, to_date(r["features_last_used"]))


def _support(
    out: AccountInputs, r: dict[str, Any], window_end: datetime, seats: int | None
) -> None:
    if not r["support_known"]:
        for key in (
            "tickets_per_100_seats_90d",
            "high_severity_ticket_share_90d",
            "sla_breaches_90d",
            "open_high_severity_tickets",
        ):
            out.put(key, None, missing="no_support_source")
        return
    n = r["tickets_90d"] or 0
    seen = to_datetime(r["tickets_last_opened"]) if n else window_end
    if seats:
        out.put("tickets_per_100_seats_90d", round(n * 100.0 / seats, 2), seen)
    else:
        out.put("tickets_per_100_seats_90d", None, missing="seats_unknown")
    out.put("high_severity_ticket_share_90d", round(r["severe_90d"] / n, 4) if n else 0.0, seen)
    if not n:
        out.put("sla_breaches_90d", 0, window_end)
    elif r["sla_tracked_n"]:
        out.put("sla_breaches_90d", int(r["breaches_90d"]), seen)
    else:
        out.put("sla_breaches_90d", None, missing="sla_not_tracked")
    out.put("open_high_severity_tickets", int(r["open_severe"] or 0), window_end)


def _sentiment(out: AccountInputs, r: dict[str, Any]) -> None:
    if r["nps_n"]:
        avg = round(r["nps_sum"] / r["nps_n"], 2)
        out.put("nps_answer_avg_180d", avg, to_datetime(r["nps_last"]))
    else:
        out.put("nps_answer_avg_180d", None, missing="no_nps_answers_180d")
    n = (r["csat_n"] or 0) + (r["ticket_csat_n"] or 0)
    if n:
        total = (r["csat_sum"] or 0) + (r["ticket_csat_sum"] or 0)
        last = max(
            (d for d in (to_datetime(r["csat_last"]), to_datetime(r["ticket_csat_last"])) if d),
            default=None,
        )
        out.put("csat_avg_180d", round(total / n, 2), last)
    else:
        out.put("csat_avg_180d", None, missing="no_csat_answers_180d")


def _commercial(out: AccountInputs, r: dict[str, Any], w: Windows) -> None:
    if not w.is_current:
        out.put("payment_status", None, missing="no_history_for_past_as_of")
    elif r["payment_status"] in PAYMENT_STATUSES:
        out.put("payment_status", r["payment_status"], to_datetime(r["account_updated_at"]))
    else:
        out.put("payment_status", None, missing="payment_status_unknown")
    due = to_date(r["renewal_date"]) or to_date(r["contract_end"])
    if due is None:
        out.put("days_to_renewal", None, missing="no_contract_or_renewal")
    else:
        out.put("days_to_renewal", (due - w.day).days, w.as_of)


def _engagement(out: AccountInputs, r: dict[str, Any], w: Windows) -> None:
    if r["plan_id"] is None:
        out.put("onboarding_progress", None, missing="no_onboarding_plan")
    elif r["plan_completed"]:
        out.put("onboarding_progress", 1.0, to_date(r["plan_completed_on"]))
    elif r["milestones_total"]:
        progress = round(r["milestones_done"] / r["milestones_total"], 4)
        out.put("onboarding_progress", progress, to_datetime(r["milestone_last_done"]) or w.as_of)
    else:
        out.put("onboarding_progress", None, missing="plan_has_no_milestones")
    # customer_since, not the row's created_at: an imported ten-year customer was not
    # "created" the day it was imported.
    candidates = [
        to_datetime(r["last_activity"]),
        _day_start(to_date(r["usage_last_active"])),
        _day_start(to_date(r["customer_since"])),
    ]
    latest = max((c for c in candidates if c is not None and c <= w.as_of), default=None)
    if latest is None:
        out.put("days_since_last_activity", None, missing="no_activity_usage_or_start_date")
    else:
        out.put("days_since_last_activity", max(0, (w.day - to_date(latest)).days), latest)


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_default_timezone())
