"""Reads over stored churn predictions: the current one per account, riskiest first."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from customers.selectors.renewals import next_renewal
from health.models import ChurnPrediction
from health.scoring import MODEL_VERSION
from health.scoring.urgency import FAR_URGENCY, URGENCY_STEPS

# Lowest probability of each risk level (see health.scoring.churn.RISK_LEVELS).
RISK_FLOOR = {"low": Decimal("0"), "medium": Decimal("0.15"), "high": Decimal("0.30"),
              "critical": Decimal("0.50")}  # fmt: skip


def churn_prediction_at(account_id: int, as_of: datetime) -> ChurnPrediction | None:
    """The current model's prediction stored with the snapshot at ``as_of``, if any."""
    return ChurnPrediction.objects.filter(
        account_id=account_id, model_version=MODEL_VERSION, as_of=as_of
    ).first()


def churn_ranked_page(
    accounts: QuerySet,
    *,
    min_risk_level: str,
    today: date,
    after: tuple[Decimal, int] | None,
    limit: int,
) -> tuple[list[ChurnPrediction], bool]:
    """The current prediction of each account's latest snapshot, ranked by churn
    probability x ARR (reporting currency, unknown = 0) x renewal urgency (see
    ``health.scoring.urgency``), highest first; keyset-paginated on (priority desc,
    account id); one query. Each row carries ``renewal_date``, ``urgency`` and
    ``priority`` so the parts stay visible."""
    renewal_date = next_renewal("renewal_date", account="account_id")
    steps = [
        When(renewal_date__lte=today + timedelta(days=bound), then=Value(Decimal(str(u))))
        for bound, u in URGENCY_STEPS
    ]
    qs = (
        ChurnPrediction.objects.filter(
            account__in=accounts,
            model_version=MODEL_VERSION,
            probability__gte=RISK_FLOOR[min_risk_level],
            account__health_latest__as_of=F("as_of"),
        )
        .annotate(renewal_date=renewal_date)
        .annotate(
            urgency=Case(
                When(renewal_date__isnull=True, then=Value(Decimal(str(FAR_URGENCY)))),
                *steps,
                default=Value(Decimal(str(FAR_URGENCY))),
                output_field=DecimalField(max_digits=3, decimal_places=2),
            )
        )
        .annotate(
            priority=ExpressionWrapper(
                F("probability")
                * Coalesce(F("account__arr_reporting"), Value(Decimal("0")))
                * F("urgency"),
                output_field=DecimalField(max_digits=24, decimal_places=8),
            )
        )
    )
    if after is not None:
        priority, account_id = after
        qs = qs.filter(Q(priority__lt=priority) | Q(priority=priority, account_id__gt=account_id))
    page = list(
        qs.select_related("account", "calibration").order_by("-priority", "account_id")[: limit + 1]
    )
    return page[:limit], len(page) > limit


def accounts_without_prediction_count(accounts: QuerySet) -> int:
    return accounts.exclude(
        Exists(
            ChurnPrediction.objects.filter(account_id=OuterRef("pk"), model_version=MODEL_VERSION)
        )
    ).count()
