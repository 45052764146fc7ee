"""Which accounts have a product-analytics source that is *reporting*, so that a day
without usage rows is a measured zero ("no usage") rather than a gap ("no data").

A connection reports when it is enabled and synced within ``REPORTING_MAX_AGE``; an
account is covered by it when it carries the id that connection reads (a Mixpanel group
id). A covered account that stopped sending usage stopped using the product; an account
with no reporting source that sends nothing tells us nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from integrations.models import Connection, Provider

REPORTING_MAX_AGE = timedelta(hours=48)
# Product-analytics providers and the account field that ties an account to each.
ANALYTICS_ACCOUNT_FIELD = {Provider.MIXPANEL: "mixpanel_group_id"}


def reporting_analytics_providers(now: datetime) -> list[str]:
    """Analytics providers with at least one enabled connection synced recently."""
    return sorted(
        set(
            Connection.objects.filter(
                provider__in=list(ANALYTICS_ACCOUNT_FIELD),
                enabled=True,
                last_synced_at__gte=now - REPORTING_MAX_AGE,
            ).values_list("provider", flat=True)
        )
    )


def usage_source_q(now: datetime, *, prefix: str = "") -> Q:
    """Accounts (at ``prefix``, e.g. ``"account__"``) covered by a reporting analytics
    source. Matches nothing when no source reports."""
    q = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    for provider in reporting_analytics_providers(now):
        field = f"{prefix}{ANALYTICS_ACCOUNT_FIELD[provider]}"
        q |= Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})
    return q
