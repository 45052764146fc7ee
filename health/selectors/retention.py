"""Retention reads: escalations, retention campaigns and churn post-mortems, scoped to the
actor. The post-mortem computes every signal for a page of churned accounts in one
statement (correlated lookups relative to each account's own churn date)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from customers.models import (
    CTA,
    AccountStatus,
    Campaign,
    CampaignKind,
    EnrollmentStatus,
    Escalation,
    EscalationStatus,
    Renewal,
    RenewalStage,
)
from customers.selectors import account_list_for_actor
from health.models import ChurnPrediction, HealthScore, SurveyKind, SurveyResponse, UsageDaily
from health.scoring.numbers import round_half_up
from integrations.models import SupportTicket

HIGH_RISK = Decimal("0.30")  # the churn model's "high" risk level starts here


# --- escalations -----------------------------------------------------------------------
def _breached(now: datetime) -> Q:
    return Q(resolved_at__isnull=True, sla_due_at__lt=now) | Q(
        resolved_at__isnull=False, resolved_at__gt=F("sla_due_at")
    )


def escalation_get_for_actor(
    actor: Actor, escalation_id: int, *, for_update: bool = False
) -> Escalation:
    qs = Escalation.objects.select_related("account", "owner").filter(
        account_id__in=account_list_for_actor(actor).values("pk")
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    escalation = qs.filter(pk=escalation_id).first()
    if escalation is None:
        raise NotFound(
            f"escalation {escalation_id} not found in your book of business",
            details={"field": "escalation_id"},
        )
    return escalation


def escalation_page_for_actor(
    actor: Actor,
    *,
    now: datetime,
    account_id: int | None,
    status: str | None,
    only_breached: bool,
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[list[Escalation], bool]:
    qs = Escalation.objects.select_related("account", "owner").filter(
        account_id__in=account_list_for_actor(actor).values("pk")
    )
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if status is not None:
        qs = qs.filter(status=status)
    if only_breached:
        qs = qs.filter(_breached(now))
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(opened_at__lt=at) | Q(opened_at=at, pk__lt=pk))
    rows = list(qs.order_by("-opened_at", "-pk")[: limit + 1])
    return rows[:limit], len(rows) > limit


def escalation_is_breached(e: Escalation, now: datetime) -> bool:
    if e.status == EscalationStatus.RESOLVED and e.resolved_at is not None:
        return e.resolved_at > e.sla_due_at
    return now > e.sla_due_at


# --- campaigns -------------------------------------------------------------------------
def retention_campaign_get(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(
        pk=campaign_id, kind__in=[CampaignKind.RETENTION, CampaignKind.RENEWAL]
    ).first()
    if campaign is None:
        raise NotFound(
            f"no retention or renewal campaign {campaign_id}", details={"field": "campaign_id"}
        )
    return campaign


def retention_campaign_page_for_actor(
    actor: Actor, *, after_id: int | None, limit: int
) -> tuple[list[Campaign], bool]:
    scope = account_list_for_actor(actor).values("pk")
    qs = Campaign.objects.filter(kind=CampaignKind.RETENTION).annotate(
        active_in_scope=Count(
            "enrollments",
            filter=Q(
                enrollments__status=EnrollmentStatus.ACTIVE, enrollments__account_id__in=scope
            ),
        )
    )
    if after_id is not None:
        qs = qs.filter(pk__gt=after_id)
    rows = list(qs.order_by("pk")[: limit + 1])
    return rows[:limit], len(rows) > limit


def campaign_active_in_scope(actor: Actor, campaign: Campaign) -> int:
    return campaign.enrollments.filter(
        status=EnrollmentStatus.ACTIVE,
        account_id__in=account_list_for_actor(actor).values("pk"),
    ).count()


# --- churn post-mortem -----------------------------------------------------------------
def _before_churn(days: int) -> ExpressionWrapper:
    return ExpressionWrapper(
        OuterRef("churned_on") - Value(timedelta(days=days)), output_field=DateField()
    )


def _sum(qs: QuerySet, field: str) -> Subquery:
    return Subquery(qs.order_by().values("account_id").annotate(v=Sum(field)).values("v")[:1])


def _count(qs: QuerySet) -> Coalesce:
    sub = qs.order_by().values("account_id").annotate(v=Count("id")).values("v")[:1]
    return Coalesce(Subquery(sub), 0)


def _avg(qs: QuerySet, field: str) -> Subquery:
    return Subquery(qs.order_by().values("account_id").annotate(v=Avg(field)).values("v")[:1])


def churned_accounts_for_actor(actor: Actor, *, since: date | None, until: date | None) -> QuerySet:
    qs = account_list_for_actor(actor).filter(
        status=AccountStatus.CHURNED, churned_on__isnull=False
    )
    if since:
        qs = qs.filter(churned_on__gte=since)
    if until:
        qs = qs.filter(churned_on__lte=until)
    return qs


def churn_signals_annotated(accounts: QuerySet, *, window_days: int) -> QuerySet:
    """Each churned account with the signals of the `window_days` before its churn date."""
    mine = {"account_id": OuterRef("pk")}
    usage = UsageDaily.objects.filter(**mine, date__lt=OuterRef("churned_on"))
    last30 = usage.filter(date__gte=_before_churn(30))
    prev30 = usage.filter(date__gte=_before_churn(60), date__lt=_before_churn(30))
    in_window = {"__gte": _before_churn(window_days), "__lte": OuterRef("churned_on")}
    tickets = SupportTicket.objects.filter(
        **mine, **{f"opened_at__date{k}": v for k, v in in_window.items()}
    )
    answers = SurveyResponse.objects.filter(
        **mine, **{f"responded_at__date{k}": v for k, v in in_window.items()}
    )
    nps = answers.filter(kind=SurveyKind.NPS)
    snapshot = HealthScore.objects.filter(**mine, as_of__date__lte=OuterRef("churned_on")).order_by(
        "-as_of"
    )
    prediction = ChurnPrediction.objects.filter(
        **mine, predicted_at__date__lt=OuterRef("churned_on")
    ).order_by("-predicted_at", "-id")
    ctas = CTA.objects.filter(**mine, **{f"created_at__date{k}": v for k, v in in_window.items()})
    renewal = Renewal.objects.filter(**mine, stage=RenewalStage.CLOSED).order_by(
        "-renewal_date", "-id"
    )
    return accounts.annotate(
        u_last=_sum(last30, "active_users"),
        u_prev=_sum(prev30, "active_users"),
        u_days=_count(last30),
        last_active=Subquery(
            usage.filter(active_users__gt=0)
            .order_by()
            .values("account_id")
            .annotate(v=Max("date"))
            .values("v")[:1]
        ),
        t_n=_count(tickets),
        t_hi=_count(tickets.filter(priority__in=["urgent", "high"])),
        t_sla=_count(tickets.filter(sla_breached=True)),
        nps_n=_count(nps),
        nps_det=_count(nps.filter(score__lte=6)),
        nps_avg=_avg(nps, "score"),
        csat_avg=_avg(answers.filter(kind=SurveyKind.CSAT), "score"),
        h_band=Subquery(snapshot.values("band")[:1]),
        h_score=Subquery(snapshot.values("score")[:1]),
        p_before=Subquery(prediction.values("probability")[:1]),
        cta_n=_count(ctas),
        renewal_outcome=Subquery(renewal.values("outcome")[:1]),
    )


def usage_trend(u_last: Any, u_prev: Any) -> float | None:
    if not u_prev:
        return None
    return round_half_up(((u_last or 0) - u_prev) * 100.0 / u_prev, 1)


def churn_signal_counts(annotated: QuerySet, *, decline_pct: float) -> dict[str, Any]:
    """Accounts per warning signal over the whole filter, in one aggregate query.

    The rules match `health.tools.retention_cases._signals` (which shapes one page):
    a signal with missing data is simply absent.
    """
    prev = Cast("u_prev", FloatField())
    qs = annotated.annotate(
        trend=Case(
            When(
                u_prev__gt=0, then=(Cast(Coalesce("u_last", 0), FloatField()) - prev) * 100.0 / prev
            ),
            default=None,
            output_field=FloatField(),
        )
    )
    signals = {
        "usage_decline": Q(trend__lte=-decline_pct),
        "urgent_tickets": Q(t_hi__gt=0),
        "sla_breaches": Q(t_sla__gt=0),
        "detractor": Q(nps_det__gt=0),
        "health_red": Q(h_band="red"),
        "predicted_high_risk": Q(p_before__gte=HIGH_RISK),
        "inactive_30d": Q(
            last_active__lt=ExpressionWrapper(
                F("churned_on") - Value(timedelta(days=30)), output_field=DateField()
            )
        ),
    }
    any_signal = Q()
    for q in signals.values():
        any_signal |= q
    agg = qs.aggregate(
        n=Count("pk"),
        arr=Sum("arr_reporting"),
        any_signal=Count("pk", filter=any_signal),
        **{name: Count("pk", filter=q) for name, q in signals.items()},
    )
    return {
        "churned_accounts": agg["n"],
        "arr_lost": agg["arr"] or Decimal("0"),
        "signal_counts": {name: agg[name] for name in signals},
        "with_no_signal": agg["n"] - agg["any_signal"],
    }
