"""NPS, CSAT and CES computed from stored survey answers (one grouped query per view).

NPS is −100..100 from 0–10 answers (promoters 9–10 minus detractors 0–6, as a share of
answers); it is never confused with the answers themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth

from customers.models import CLOSED_CTA, CTA
from health.models import SurveyKind, SurveyResponse
from health.scoring.numbers import round_half_up

SATISFACTION_DEFINITIONS = {
    "nps": "Net Promoter Score −100..100: % promoters (answers 9–10) − % detractors (0–6).",
    "csat_avg": "Mean CSAT answer, 1–5.",
    "csat_satisfied_pct": "Share of CSAT answers of 4 or 5.",
    "ces_avg": "Mean Customer Effort Score answer, 1–7, where 7 means 'very easy'.",
    "ces_easy_pct": "Share of CES answers of 5 or more.",
}

NPS, CSAT, CES = SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES
_AGG = {
    "nps_responses": Count("id", filter=Q(kind=NPS)),
    "promoters": Count("id", filter=Q(kind=NPS, score__gte=9)),
    "detractors": Count("id", filter=Q(kind=NPS, score__lte=6)),
    "nps_answer_avg": Avg("score", filter=Q(kind=NPS)),
    "csat_responses": Count("id", filter=Q(kind=CSAT)),
    "csat_avg": Avg("score", filter=Q(kind=CSAT)),
    "csat_satisfied": Count("id", filter=Q(kind=CSAT, score__gte=4)),
    "csat_low": Count("id", filter=Q(kind=CSAT, score__lte=2)),
    "ces_responses": Count("id", filter=Q(kind=CES)),
    "ces_avg": Avg("score", filter=Q(kind=CES)),
    "ces_easy": Count("id", filter=Q(kind=CES, score__gte=5)),
    "last_response_at": Max("responded_at"),
}


def _pct(part: int, whole: int) -> float | None:
    return round_half_up(part * 100.0 / whole, 1) if whole else None


def _shape(agg: dict[str, Any]) -> dict[str, Any]:
    n = agg["nps_responses"]
    return {
        "nps": round_half_up((agg["promoters"] - agg["detractors"]) * 100.0 / n, 1) if n else None,
        "nps_responses": n,
        "promoters": agg["promoters"],
        "passives": n - agg["promoters"] - agg["detractors"],
        "detractors": agg["detractors"],
        "nps_answer_avg": round_half_up(agg["nps_answer_avg"], 2) if n else None,
        "csat_avg": round_half_up(agg["csat_avg"], 2) if agg["csat_responses"] else None,
        "csat_responses": agg["csat_responses"],
        "csat_satisfied_pct": _pct(agg["csat_satisfied"], agg["csat_responses"]),
        "csat_low_answers": agg["csat_low"],
        "ces_avg": round_half_up(agg["ces_avg"], 2) if agg["ces_responses"] else None,
        "ces_responses": agg["ces_responses"],
        "ces_easy_pct": _pct(agg["ces_easy"], agg["ces_responses"]),
        "last_response_at": agg["last_response_at"],
    }


def survey_responses_in_window(
    accounts: QuerySet, *, since: datetime, until: datetime
) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(
        account_id__in=accounts.values("pk"), responded_at__gte=since, responded_at__lte=until
    )


def satisfaction_overall(responses: QuerySet[SurveyResponse]) -> dict[str, Any]:
    return _shape(responses.aggregate(**_AGG))


def satisfaction_monthly(responses: QuerySet[SurveyResponse]) -> list[dict[str, Any]]:
    rows = (
        responses.annotate(month=TruncMonth("responded_at"))
        .order_by()
        .values("month")
        .annotate(**_AGG)
        .order_by("month")
    )
    return [{"month": r["month"].date(), **_shape(r)} for r in rows]


def satisfaction_from_counts(counts: QuerySet) -> list[dict[str, Any]]:
    """`satisfaction_monthly`'s rows from answers already counted per (month, kind, score):
    any queryset with those fields and ``answers`` (a maintained histogram, e.g. the
    portfolio's per-owner monthly counts). ``last_response_at`` is not kept there: None."""

    def answers(kind: str, condition: Q | None = None) -> Sum:
        where = Q(kind=kind) if condition is None else Q(kind=kind) & condition
        return Coalesce(Sum("answers", filter=where), 0)

    def total(kind: str) -> Sum:
        return Coalesce(Sum(F("answers") * F("score"), filter=Q(kind=kind)), 0)

    rows = (
        counts.order_by()
        .values("month")
        .annotate(
            nps_responses=answers(NPS),
            promoters=answers(NPS, Q(score__gte=9)),
            detractors=answers(NPS, Q(score__lte=6)),
            nps_total=total(NPS),
            csat_responses=answers(CSAT),
            csat_satisfied=answers(CSAT, Q(score__gte=4)),
            csat_low=answers(CSAT, Q(score__lte=2)),
            csat_total=total(CSAT),
            ces_responses=answers(CES),
            ces_easy=answers(CES, Q(score__gte=5)),
            ces_total=total(CES),
        )
        .order_by("month")
    )
    out = []
    for r in rows:
        for kind in ("nps", "csat", "ces"):
            n = r[f"{kind}_responses"]
            key = "nps_answer_avg" if kind == "nps" else f"{kind}_avg"
            r[key] = r[f"{kind}_total"] / n if n else None
        r["last_response_at"] = None
        if r["nps_responses"] or r["csat_responses"] or r["ces_responses"]:
            out.append({"month": r["month"], **_shape(r)})
    return out


AT_RISK = Q(detractors__gt=0) | Q(csat_low__gt=0)


def satisfaction_accounts_page(
    responses: QuerySet[SurveyResponse],
    *,
    only_at_risk: bool,
    after_account_id: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Per-account satisfaction over the window, ordered by account id."""
    qs = (
        responses.order_by()
        .values("account_id", "account__name")
        .annotate(**_AGG, lowest_nps=Min("score", filter=Q(kind=NPS)))
    )
    if only_at_risk:
        qs = qs.filter(AT_RISK)
    if after_account_id is not None:
        qs = qs.filter(account_id__gt=after_account_id)
    rows = list(qs.order_by("account_id")[: limit + 1])
    shaped = [
        {
            "account_id": r["account_id"],
            "name": r["account__name"],
            "lowest_nps_answer": r["lowest_nps"],
            **_shape(r),
        }
        for r in rows[:limit]
    ]
    return shaped, len(rows) > limit


def low_satisfaction_by_account(
    *, since: datetime, nps_max: int, csat_max: int, after_closed_cta_reason: str | None = None
) -> QuerySet[SurveyResponse]:
    """Accounts with an NPS answer ≤ `nps_max` or a CSAT answer ≤ `csat_max` since `since`
    (one grouped query over all accounts; the evidence is in each row).

    With `after_closed_cta_reason`, answers given before the account's last closed CTA for
    that reason are not evidence any more: the CSM already acted on them.
    """
    low_nps = Q(kind=NPS, score__lte=nps_max)
    low_csat = Q(kind=CSAT, score__lte=csat_max)
    qs = SurveyResponse.objects.filter(responded_at__gte=since).filter(low_nps | low_csat)
    if after_closed_cta_reason:
        last_closed = (
            CTA.objects.filter(
                CLOSED_CTA,
                account_id=OuterRef("account_id"),
                reason=after_closed_cta_reason,
                closed_at__isnull=False,
            )
            .order_by("-closed_at")
            .values("closed_at")[:1]
        )
        qs = qs.annotate(acted_at=Subquery(last_closed)).filter(
            Q(acted_at__isnull=True) | Q(responded_at__gt=F("acted_at"))
        )
    return (
        qs.order_by()
        .values("account_id", "account__owner_id", "account__status")
        .annotate(
            low_nps_answers=Count("id", filter=low_nps),
            lowest_nps=Min("score", filter=low_nps),
            low_csat_answers=Count("id", filter=low_csat),
            lowest_csat=Min("score", filter=low_csat),
            latest_low_at=Max("responded_at"),
        )
    )
