"""Customer-success metrics as monthly series computed from rows: GRR, NRR and logo churn
from closed renewals, time-to-value from completed onboarding plans, NPS and CSAT from
survey answers, CTA closure from CTAs. A constant number of queries per call."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import QuerySet

from customers.models import CTA, Account, OnboardingPlan, Renewal, RenewalOutcome
from customers.selectors.money import money_to_reporting, rates_on
from health.selectors.satisfaction import satisfaction_monthly, survey_responses_in_window

CS_METRIC_DEFINITIONS = {
    "grr_pct": "Gross revenue retention of renewals closed in the month: retained ARR "
    "(capped at the prior ARR, churn = 0) / prior ARR.",
    "nrr_pct": "Net revenue retention: ARR after the renewals (expansion counted) / prior ARR.",
    "logo_churn_pct": "Churned renewals / renewals closed in the month.",
    "ttv_days_median": "Median days from start to completion of plans completed in the month.",
    "nps": "% promoters − % detractors of NPS answers in the month.",
    "cta_closure_pct": "CTAs opened in the month that are closed now.",
}


def month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for back in range(months - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        out.append(date(y, m + 1, 1))
    return out


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _pct(part: Decimal | int, whole: Decimal | int) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


def cs_metrics_monthly(
    accounts: QuerySet[Account], *, today: date, months: int, tz: tzinfo | None
) -> dict[str, Any]:
    starts = month_starts(today, months)
    first, end = starts[0], _next_month(starts[-1])
    since = datetime.combine(first, time.min, tzinfo=tz)
    until = datetime.combine(end, time.min, tzinfo=tz)
    scope = accounts.values("pk")
    rates = rates_on(today)
    rev: dict[date, dict[str, Any]] = defaultdict(
        lambda: {
            "n": 0,
            "churned": 0,
            "prior": Decimal(0),
            "gross": Decimal(0),
            "net": Decimal(0),
            "no_rate": 0,
        }
    )
    for closed, current, after, currency, outcome in Renewal.objects.filter(
        account_id__in=scope, outcome__isnull=False, closed_on__gte=first, closed_on__lt=end
    ).values_list("closed_on", "current_arr", "outcome_arr", "currency", "outcome"):
        r = rev[closed.replace(day=1)]
        prior = money_to_reporting(current, currency, rates)
        if outcome == RenewalOutcome.CHURNED:
            after = Decimal(0)
        elif after is None:
            after = current
        now_arr = money_to_reporting(after, currency, rates)
        r["n"] += 1
        r["churned"] += outcome == RenewalOutcome.CHURNED
        if prior is None or now_arr is None:
            r["no_rate"] += 1
            continue
        r["prior"] += prior
        r["gross"] += min(prior, now_arr)
        r["net"] += now_arr
    ttv: dict[date, list[int]] = defaultdict(list)
    for started, done in OnboardingPlan.objects.filter(
        account_id__in=scope,
        completed_on__gte=first,
        completed_on__lt=end,
        started_on__isnull=False,
    ).values_list("started_on", "completed_on"):
        ttv[done.replace(day=1)].append((done - started).days)
    ctas: dict[date, dict[str, Any]] = defaultdict(lambda: {"n": 0, "closed": 0, "days": []})
    for created, closed in CTA.objects.filter(
        account_id__in=scope, created_at__gte=since, created_at__lt=until
    ).values_list("created_at", "closed_at"):
        c = ctas[created.astimezone(tz).date().replace(day=1)]
        c["n"] += 1
        if closed is not None:
            c["closed"] += 1
            c["days"].append((closed - created).total_seconds() / 86400)
    sat = {
        row["month"]: row
        for row in satisfaction_monthly(
            survey_responses_in_window(accounts, since=since, until=until)
        )
    }
    series = []
    for month in starts:
        r, c, s = rev.get(month), ctas.get(month), sat.get(month, {})
        series.append(
            {
                "month": month,
                "renewals_closed": r["n"] if r else 0,
                "prior_arr_reporting": r["prior"] if r else Decimal(0),
                "grr_pct": _pct(r["gross"], r["prior"]) if r else None,
                "nrr_pct": _pct(r["net"], r["prior"]) if r else None,
                "logo_churn_pct": _pct(r["churned"], r["n"]) if r else None,
                "renewals_without_rate": r["no_rate"] if r else 0,
                "plans_completed": len(ttv.get(month, [])),
                "ttv_days_median": float(median(ttv[month])) if ttv.get(month) else None,
                "nps": s.get("nps"),
                "nps_responses": s.get("nps_responses", 0),
                "csat_avg": s.get("csat_avg"),
                "csat_responses": s.get("csat_responses", 0),
                "ctas_opened": c["n"] if c else 0,
                "ctas_closed": c["closed"] if c else 0,
                "cta_closure_pct": _pct(c["closed"], c["n"]) if c else None,
                "cta_days_to_close_median": round(median(c["days"]), 1)
                if c and c["days"]
                else None,
            }
        )
    return {"series": series, "definitions": CS_METRIC_DEFINITIONS}
