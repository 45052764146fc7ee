"""Reads of exchange rates: what an amount is worth in the reporting currency on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from cs_platform.core import clock
from customers.models import ExchangeRate

CENT = Decimal("0.01")


def reporting_currency() -> str:
    """The ISO code totals are reported in (settings.REPORTING_CURRENCY)."""
    return settings.REPORTING_CURRENCY


@dataclass(frozen=True)
class RateRow:
    base: str
    rate: Decimal
    valid_from: date


def rates_on(day: date | None = None) -> dict[str, RateRow]:
    """Per currency, the newest rate into the reporting currency valid on `day` (today by
    default). The reporting currency itself is absent: it needs no rate."""
    day = day or clock.today()
    rows = (
        ExchangeRate.objects.filter(quote=reporting_currency(), valid_from__lte=day)
        .order_by("base", "-valid_from")
        .values_list("base", "rate", "valid_from")
    )
    found: dict[str, RateRow] = {}
    for base, rate, valid_from in rows:
        found.setdefault(base, RateRow(base, rate, valid_from))
    return found


def money_to_reporting(
    amount: Decimal | None, currency: str, rates: dict[str, RateRow] | None = None
) -> Decimal | None:
    """`amount` of `currency` in the reporting currency, to the cent (half up); None when
    no rate for `currency` is known — an unknown rate is reported, never taken as 1."""
    if amount is None:
        return None
    if currency == reporting_currency():
        return Decimal(amount).quantize(CENT, ROUND_HALF_UP)
    row = (rates if rates is not None else rates_on()).get(currency)
    if row is None:
        return None
    return (Decimal(amount) * row.rate).quantize(CENT, ROUND_HALF_UP)
