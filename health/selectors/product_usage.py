"""Product usage across the accounts an actor sees: per-feature adoption, per-account top
features, totals and where the usage rows came from (Mixpanel sync vs API ingestion).

Sources: ``FeatureAdoption`` (first/last use and running event totals per account and
feature), ``UsageDaily`` (per account-day counts, with ``source``) and, for events of a
feature inside the window, the Mixpanel sync's per-day ledger
(``integrations.FeatureUsageDay``) — the only per-day feature counts stored.
Every function runs a fixed number of queries, whatever the data size.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from customers.models import Account
from health.models import Feature, FeatureAdoption, UsageDaily

PRODUCT_USAGE_DEFINITIONS = {
    "accounts_using": "Accounts in scope whose last use of the feature is inside the window.",
    "accounts_adopted": "Accounts in scope that have ever used the feature.",
    "share_of_accounts": "accounts_using / accounts_in_scope (0–1); null with no accounts.",
    "events_total": "Lifetime events of the feature over accounts in scope (running totals).",
    "events_in_window": "Feature events inside the window from the Mixpanel sync's daily "
    "ledger; features fed only by other sources have 0 here.",
    "usage": "Sums of UsageDaily rows inside the window (all sources).",
    "sources": "UsageDaily rows inside the window by source (mixpanel, api, seed...).",
}


def _ledger() -> Any:
    # The per-day feature ledger belongs to the Mixpanel sync (integrations app).
    from integrations.models import FeatureUsageDay

    return FeatureUsageDay.objects


def usage_totals(scope: QuerySet[Account], *, start: date, end: date) -> dict[str, Any]:
    """Window totals over the scope and the breakdown by row source (two queries)."""
    rows = UsageDaily.objects.filter(account__in=scope, date__gte=start, date__lte=end)
    totals = rows.aggregate(
        accounts_with_usage=Count("account_id", distinct=True, filter=Q(active_users__gt=0)),
        days_with_data=Count("id"),
        active_user_days=Coalesce(Sum("active_users"), 0),
        sessions=Coalesce(Sum("sessions"), 0),
        events=Coalesce(Sum("events"), 0),
    )
    sources = list(
        rows.order_by()
        .values("source")
        .annotate(
            rows=Count("id"),
            accounts=Count("account_id", distinct=True),
            events=Coalesce(Sum("events"), 0),
        )
        .order_by("-rows", "source")
    )
    return {"totals": totals, "sources": sources}


def feature_adoption_page(
    scope: QuerySet[Account],
    *,
    start: date,
    end: date,
    after: tuple[int, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Features by accounts using them in the window (desc), then key; keyset on
    (accounts_using, key). ``limit + 1`` rows tell the caller whether a page follows."""
    in_scope = Q(adoption__account__in=scope)
    qs = Feature.objects.annotate(
        accounts_using=Count("adoption", filter=in_scope & Q(adoption__last_used_on__gte=start)),
        accounts_adopted=Count("adoption", filter=in_scope),
        events_total=Coalesce(Sum("adoption__events_total", filter=in_scope), 0),
    )
    if after is not None:
        using, key = after
        qs = qs.filter(Q(accounts_using__lt=using) | Q(accounts_using=using, key__gt=key))
    rows = list(
        qs.order_by("-accounts_using", "key").values(
            "id", "key", "name", "category", "accounts_using", "accounts_adopted", "events_total"
        )[: limit + 1]
    )
    window = dict(
        _ledger()
        .filter(
            feature_id__in=[r["id"] for r in rows],
            account__in=scope,
            date__gte=start,
            date__lte=end,
        )
        .order_by()
        .values("feature_id")
        .annotate(events=Sum("events"))
        .values_list("feature_id", "events")
    )
    for row in rows:
        row["events_in_window"] = window.get(row["id"], 0)
    return rows


def account_usage_page(
    scope: QuerySet[Account],
    *,
    start: date,
    end: date,
    after: tuple[int, int] | None,
    limit: int,
    top: int,
) -> list[dict[str, Any]]:
    """Accounts by events in the window (desc), then id, each with its ``top`` features
    (by events in the window, then lifetime events). Three queries."""
    window = Q(usage_days__date__gte=start, usage_days__date__lte=end)
    qs = scope.annotate(
        events_in_window=Coalesce(Sum("usage_days__events", filter=window), 0),
        active_days=Count("usage_days", filter=window & Q(usage_days__active_users__gt=0)),
    )
    if after is not None:
        events, last_id = after
        qs = qs.filter(Q(events_in_window__lt=events) | Q(events_in_window=events, id__gt=last_id))
    rows = list(
        qs.order_by("-events_in_window", "id").values(
            "id", "name", "events_in_window", "active_days"
        )[: limit + 1]
    )
    ids = [r["id"] for r in rows]
    adoption = FeatureAdoption.objects.filter(account_id__in=ids).values(
        "account_id",
        "feature_id",
        "feature__key",
        "feature__name",
        "events_total",
        "first_used_on",
        "last_used_on",
    )
    ledger = {
        (a, f): e
        for a, f, e in _ledger()
        .filter(account_id__in=ids, date__gte=start, date__lte=end)
        .order_by()
        .values("account_id", "feature_id")
        .annotate(events=Sum("events"))
        .values_list("account_id", "feature_id", "events")
    }
    features: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in adoption:
        features[item["account_id"]].append(
            {
                "key": item["feature__key"],
                "name": item["feature__name"],
                "events_total": item["events_total"],
                "events_in_window": ledger.get((item["account_id"], item["feature_id"]), 0),
                "first_used_on": item["first_used_on"],
                "last_used_on": item["last_used_on"],
            }
        )
    for row in rows:
        used = features.get(row["id"], [])
        row["features_used_in_window"] = sum(1 for f in used if f["last_used_on"] >= start)
        row["features_adopted"] = len(used)
        used.sort(key=lambda f: (-f["events_in_window"], -f["events_total"], f["key"]))
        row["top_features"] = used[:top]
    return rows
