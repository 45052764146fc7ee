"""Demo exchange rates: fixed, dated rows so the demo's EUR and GBP accounts sum with the
USD ones in the reporting currency (what an operator would enter from their bank's rates)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from customers.models import ExchangeRate
from customers.selectors.money import reporting_currency

# What one unit was worth in US dollars (a plausible fixed demo value, not market data).
USD_VALUE = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
SOURCE = "demo rates (seed_demo)"
HISTORY_YEARS = 6  # valid from before the oldest demo contract


def demo_rates() -> dict[str, Decimal]:
    """Rate into the reporting currency per currency (the reporting currency: 1)."""
    quote = reporting_currency()
    return {
        base: (value / USD_VALUE[quote]).quantize(Decimal("0.00000001"), ROUND_HALF_UP)
        for base, value in USD_VALUE.items()
    }


def demo_rates_ensure(today: date) -> None:
    """Store the demo rates once (kept across `--reset`: rates are not portfolio data)."""
    quote = reporting_currency()
    valid_from = today - timedelta(days=365 * HISTORY_YEARS)
    ExchangeRate.objects.bulk_create(
        [
            ExchangeRate(base=base, quote=quote, rate=rate, valid_from=valid_from, source=SOURCE)
            for base, rate in demo_rates().items()
            if base != quote
        ],
        ignore_conflicts=True,
    )


def arr_in_reporting(amount: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal:
    return (amount * rates[currency]).quantize(Decimal("0.01"), ROUND_HALF_UP)
