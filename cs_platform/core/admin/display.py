"""Small formatting helpers for admin columns and read-only fields."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString


def json_block(value: Any) -> SafeString:
    """Stored JSON, indented and escaped, for read-only detail fields."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return format_html('<pre class="cs-json">{}</pre>', text)


def duration_text(delta: timedelta | None) -> str | None:
    """'2d 3h', '3h 05m', '12m'; None when there is no duration (shown as the empty value)."""
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"


def datetime_text(value: datetime | None) -> str | None:
    """A datetime in the active time zone and locale format (read-only callables are not
    formatted by the admin itself)."""
    if value is None:
        return None
    return formats.localize(timezone.template_localtime(value))


def money_text(amount: Decimal | None, currency: str) -> str | None:
    if amount is None:
        return None
    return f"{amount:,.2f} {currency}"


# Bands with a colour of their own in cs_platform/admin.css; any other (unknown,
# insufficient_data) keeps the plain grey of `.cs-band-text`. Classes, not a style
# attribute: the Content-Security-Policy allows no inline styles.
COLOURED_BANDS = frozenset({"green", "yellow", "red"})


def band_badge(band: str | None) -> SafeString | None:
    if not band:
        return None
    modifier = f" cs-band-text-{band}" if band in COLOURED_BANDS else ""
    return format_html('<strong class="cs-band-text{}">{}</strong>', modifier, band)
