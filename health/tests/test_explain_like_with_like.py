"""A change is explained over the measures present at both dates; backfilled history holds
only the inputs that existed then, and what it lacked is named apart, never as a driver."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.tools import invoke_tool
from health.models import HealthScore
from health.services.scoring import health_recompute_accounts

pytestmark = pytest.mark.django_db


@pytest.mark.date_sensitive
def test_backfilled_snapshot_lacks_payment_status_and_it_is_not_a_driver(actors, portfolio):
    account = portfolio["declining"]
    now = clock.now()
    health_recompute_accounts(account_ids=[account.pk], as_of=now - timedelta(days=40))
    health_recompute_accounts(account_ids=[account.pk], as_of=now)
    old = HealthScore.objects.get(account=account, as_of=now - timedelta(days=40))
    # Payment status is kept without history: the backfill does not borrow today's value.
    assert old.inputs["payment_status"]["value"] is None
    assert old.inputs["payment_status"]["missing"]

    out = invoke_tool("explain_health_change", actors["csm1"], {"account_id": account.pk})
    assert "payment_status" in out["newly_measured"]
    drivers = [m for m in out["measures"] if m["like_delta"] is not None]
    assert drivers and out["measures"][: len(drivers)] == drivers  # drivers come first
    assert "payment_status" not in {m["key"] for m in drivers}
    # Like with like adds up: the drivers' points are the comparable delta (±0.1 display).
    assert sum(m["like_delta"] for m in drivers) == pytest.approx(out["comparable_delta"], abs=0.1)
    top = drivers[0]
    assert top["key"] in ("usage_trend", "active_user_share") and top["like_delta"] < 0
    assert "Newly measured (not a driver): " in out["summary"]
    main = out["summary"].split("Main drivers: ")[1].split(".")[0]
    assert "Payment status" not in main
