"""Template filters for the CS workspace screens (see `portfolio.formatting`)."""

from __future__ import annotations

from typing import Any

from django import template

from portfolio.formatting import (
    day_relative,
    money_human,
    points_human,
    score_human,
    share_human,
)

register = template.Library()


@register.filter
def money(amount: Any, currency: str) -> str:
    return money_human(amount, currency)


@register.filter
def score(value: Any) -> str:
    return score_human(value)


@register.filter
def points(value: Any) -> str:
    return points_human(value)


@register.filter
def share(value: Any) -> str:
    return share_human(value)


@register.filter
def relative(value: Any) -> str:
    return day_relative(value)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
