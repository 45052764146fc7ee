"""Coverage decides the band: a score backed by too little data reads insufficient_data in
the tools, the admin list and the stored snapshot, with what is missing."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from cs_platform.core import clock
from cs_platform.core.tools import invoke_tool
from customers.models import Account
from health.models import HealthScore
from tests.factories import HealthScoreFactory

pytestmark = pytest.mark.django_db


@pytest.mark.date_sensitive
def test_a_new_account_is_insufficient_data_everywhere(actors, staff, client, root):
    account = Account.objects.create(
        name="Signed today", owner=staff["csm1"], customer_since=clock.today()
    )
    out = invoke_tool("calculate_health_score", actors["csm1"], {"account_id": account.pk})
    # Only engagement recency is known (0 days -> 100): 15/100 x 50/100 = 0.075 of the
    # weight. The score is 100 but the band is no verdict.
    assert out["score"] == 100.0 and out["coverage"] == 0.075
    assert out["band"] == "insufficient_data"
    assert "usage_trend_pct" in {m["input_key"] for m in out["missing_inputs"]}
    assert HealthScore.objects.get(pk=out["snapshot_id"]).band == "insufficient_data"

    listed = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    row = next(r for r in listed["accounts"] if r["account_id"] == account.pk)
    assert row["health_band"] == "insufficient_data" and row["health_coverage"] == 0.075
    assert (
        "Usage trend" in row["health_missing"]
        and "Engagement recency" not in (row["health_missing"])
    )

    page = client.get(reverse("admin:customers_account_changelist"))
    shown = next(a for a in page.context["cl"].result_list if a.pk == account.pk)
    assert shown.health_band == "insufficient_data" and shown.health_coverage == Decimal("0.075")
    assert "8 %" in page.content.decode()  # 7.5 % shown rounded beside the band
    detail = client.get(reverse("admin:customers_account_change", args=[account.pk]))
    assert "Usage trend" in detail.content.decode()


def test_stored_snapshots_are_rebanded_by_the_migration():
    migration = importlib.import_module("health.migrations.0012_insufficient_data_band")
    thin = HealthScoreFactory(coverage=Decimal("0.400"), result={"band": "green"})
    full = HealthScoreFactory(coverage=Decimal("0.900"), result={"band": "green"})
    with connection.cursor() as cursor:
        cursor.execute(migration.REBAND)
    thin.refresh_from_db()
    full.refresh_from_db()
    assert thin.band == "insufficient_data"
    assert thin.result == {"band": "insufficient_data", "computed_band": "insufficient_data"}
    assert full.band == "green" and full.result == {"band": "green"}
