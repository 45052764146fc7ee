"""Reads over stored churn predictions: the current one per account, riskiest first."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from health.models import ChurnPrediction
from health.scoring import MODEL_VERSION

# Lowest probability of each risk level (see health.scoring.churn.RISK_LEVELS).
RISK_FLOOR = {"low": Decimal("0"), "medium": Decimal("0.15"), "high": Decimal("0.30"),
              "critical": Decimal("0.50")}  # fmt: skip


def churn_prediction_at(account_id: int, as_of: datetime) -> ChurnPrediction | None:
    """The current model's prediction stored with the snapshot at ``as_of``, if any."""
    return ChurnPrediction.objects.filter(
        account_id=account_id, model_version=MODEL_VERSION, as_of=as_of
    ).first()


def churn_predictions_current_page(
    accounts: QuerySet,
    *,
    min_risk_level: str,
    after: tuple[Decimal, int] | None,
    limit: int,
) -> tuple[list[ChurnPrediction], bool]:
    """The prediction made for each account's latest snapshot (current model), riskiest
    first, keyset-paginated on (probability desc, account id); one query."""
    qs = ChurnPrediction.objects.filter(
        account__in=accounts,
        model_version=MODEL_VERSION,
        probability__gte=RISK_FLOOR[min_risk_level],
        account__health_scores__is_latest=True,
        account__health_scores__as_of=F("as_of"),
    )
    if after is not None:
        probability, account_id = after
        qs = qs.filter(
            Q(probability__lt=probability) | Q(probability=probability, account_id__gt=account_id)
        )
    page = list(qs.select_related("account").order_by("-probability", "account_id")[: limit + 1])
    return page[:limit], len(page) > limit


def accounts_without_prediction_count(accounts: QuerySet) -> int:
    return accounts.exclude(
        Exists(
            ChurnPrediction.objects.filter(account_id=OuterRef("pk"), model_version=MODEL_VERSION)
        )
    ).count()
