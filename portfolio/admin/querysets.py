"""Annotations the account changelist sorts and filters on: one query for the whole page.

Latest health, next open renewal and open CTAs are correlated subqueries, so a page of
100 accounts is one SELECT, never a query per row. Days to renewal are derived from the
annotated date at display time and never stored (DESIGN.md schema note on renewals).
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from customers.models import CTA, Account, Renewal, RenewalStage
from customers.models.engagement import OPEN_CTA
from health.models import HealthScore


def account_admin_annotate(qs: QuerySet[Account]) -> QuerySet[Account]:
    latest = HealthScore.objects.filter(account_id=OuterRef("pk"), is_latest=True)
    next_renewal = (
        Renewal.objects.filter(account_id=OuterRef("pk"))
        .exclude(stage=RenewalStage.CLOSED)
        .order_by("renewal_date", "id")
    )
    open_ctas = (
        CTA.objects.filter(OPEN_CTA, account_id=OuterRef("pk"))
        .order_by()
        .values("account_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(
        latest_health_score=Subquery(latest.values("score")[:1]),
        latest_health_band=Subquery(latest.values("band")[:1]),
        latest_health_as_of=Subquery(latest.values("as_of")[:1]),
        next_renewal_date=Subquery(next_renewal.values("renewal_date")[:1]),
        open_cta_count=Coalesce(Subquery(open_ctas[:1], output_field=IntegerField()), Value(0)),
    )
