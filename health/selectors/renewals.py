"""Open renewals with what the forecast needs: health band, renewal history, money in the
reporting currency; and the probability model (health prior updated by history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from customers.models import Account, Renewal, RenewalOutcome, RenewalStage
from customers.selectors.money import CENT, money_to_reporting, rates_on
from health.models import HealthBand
from health.selectors.snapshots import latest_health

# Renewal probability before history, by the account's latest health band.
BAND_PRIOR = {
    HealthBand.GREEN: Decimal("0.9"),
    HealthBand.YELLOW: Decimal("0.7"),
    HealthBand.RED: Decimal("0.4"),
}
UNKNOWN_PRIOR = Decimal("0.6")
PRIOR_WEIGHT = 2  # the prior counts as this many past renewals
COMMIT_FROM, BEST_CASE_FROM = Decimal("0.8"), Decimal("0.5")

FORECAST_DEFINITIONS = {
    "probability": "(2 × band prior + renewed) / (2 + closed), from the account's closed "
    "renewals (renewed = any outcome but churned); prior green .9, yellow .7, red .4, "
    "otherwise .6. An override (with reason) replaces it.",
    "category": "commit ≥ .8, best_case ≥ .5, else at_risk.",
    "weighted_arr": "ARR in the reporting currency × probability.",
}


@dataclass
class RenewalRow:
    renewal: Renewal
    band: str
    closed: int
    renewed: int
    arr_reporting: Decimal | None

    @property
    def model_probability(self) -> Decimal:
        prior = BAND_PRIOR.get(self.band, UNKNOWN_PRIOR)
        p = (PRIOR_WEIGHT * prior + self.renewed) / (PRIOR_WEIGHT + self.closed)
        return p.quantize(Decimal("0.001"), ROUND_HALF_UP)

    @property
    def probability(self) -> Decimal:
        override = self.renewal.probability_override
        return override if override is not None else self.model_probability

    @property
    def category(self) -> str:
        p = self.probability
        return "commit" if p >= COMMIT_FROM else "best_case" if p >= BEST_CASE_FROM else "at_risk"

    @property
    def weighted(self) -> Decimal | None:
        if self.arr_reporting is None:
            return None
        return (self.arr_reporting * self.probability).quantize(CENT, ROUND_HALF_UP)


def open_renewals(
    accounts: QuerySet[Account], *, start: date | None, end: date, today: date
) -> list[RenewalRow]:
    """Open renewals of `accounts` due in [start, end] (start None: any time before end),
    soonest first, with band and history. Two queries."""
    qs = (
        Renewal.objects.filter(account__in=accounts, renewal_date__lte=end)
        .exclude(stage=RenewalStage.CLOSED)
        .select_related("account", "contract")
        .annotate(band=Coalesce(latest_health("band", account="account_id"), Value("unknown")))
        .order_by("renewal_date", "id")
    )
    if start is not None:
        qs = qs.filter(renewal_date__gte=start)
    renewals = list(qs)
    history = {
        r["account_id"]: r
        for r in Renewal.objects.filter(
            account_id__in={r.account_id for r in renewals}, stage=RenewalStage.CLOSED
        )
        .order_by()
        .values("account_id")
        .annotate(
            closed=Count("id"), renewed=Count("id", filter=~Q(outcome=RenewalOutcome.CHURNED))
        )
    }
    rates = rates_on(today)
    return [
        RenewalRow(
            renewal=r,
            band=r.band,
            closed=history.get(r.account_id, {}).get("closed", 0),
            renewed=history.get(r.account_id, {}).get("renewed", 0),
            arr_reporting=money_to_reporting(r.current_arr, r.currency, rates),
        )
        for r in renewals
    ]
