"""Numbers for people: scores with one decimal, money with its symbol and no cents, dates
relative to today ("in 12 days", "3 days ago"), shares as percentages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from cs_platform.core import clock

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def _number(value: object) -> Decimal | None:
    """A number, or None for what is not one (None, "", a template's missing value)."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def money_human(amount: Decimal | float | None, currency: str) -> str:
    """'$12,400', '€444,820', '1,200 CHF'; '—' when there is no amount (no rate)."""
    number = _number(amount)
    if number is None:
        return "—"
    whole = f"{number:,.0f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f"{whole} {currency}"
    if whole.startswith("-"):
        return f"-{symbol}{whole[1:]}"
    return f"{symbol}{whole}"


def score_human(value: Decimal | float | None) -> str:
    """One decimal ('40.6'); '—' when the score could not be computed."""
    number = _number(value)
    return "—" if number is None else f"{number:.1f}"


def points_human(value: Decimal | float | None) -> str:
    """A signed change in points ('−12.4', '+3.0')."""
    number = _number(value)
    if number is None:
        return "—"
    sign = "+" if number > 0 else "−" if number < 0 else "±"
    return f"{sign}{abs(number):.1f}"


def share_human(value: Decimal | float | None) -> str:
    """A 0..1 share as a whole percentage ('85%')."""
    number = _number(value)
    return "—" if number is None else f"{number * 100:.0f}%"


def day_relative(value: date | datetime | None, *, today: date | None = None) -> str:
    """'today', 'tomorrow', 'yesterday', 'in 12 days', '3 days ago'."""
    if not isinstance(value, date):
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    days = (value - (today or clock.today())).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"
