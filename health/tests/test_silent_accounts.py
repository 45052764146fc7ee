"""No data is not no usage: a silent account covered by a reporting analytics source is a
usage drop (a CTA, listed as no_usage); without a reporting source it is no data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from customers.models import CTA
from health.services.monitors import monitor_run
from health.tests.builders import create_account, create_usage_days
from integrations.models import Connection
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def _silent_for_14_days(owner, name: str, **fields):
    account = create_account(owner, name, **fields)
    # 46 days of 50 active users, then nothing for the last 14 days.
    create_usage_days(account, [50] * 46, end=clock.today() - timedelta(days=14))
    return account


def _mixpanel(synced_hours_ago: float) -> Connection:
    return Connection.objects.create(
        provider="mixpanel",
        name="Product analytics",
        base_url="https://mixpanel.example.test",
        last_synced_at=clock.now() - timedelta(hours=synced_hours_ago),
    )


@pytest.mark.date_sensitive
def test_silent_account_with_a_reporting_source_raises_a_usage_drop_cta(staff):
    _mixpanel(synced_hours_ago=2)
    covered = _silent_for_14_days(staff["csm1"], "Went quiet", mixpanel_group_id="g-1")
    uncovered = _silent_for_14_days(staff["csm1"], "Never connected")

    run = monitor_run(key="usage_drop_alerts", trigger="manual")
    [cta] = CTA.objects.filter(reason="usage_drop")
    assert cta.account == covered
    # Last 30 days: 16 days x 50 = 800 (the silent 14 days count 0); before: 30 x 50 = 1500.
    # (800 - 1500) / 1500 = -46.7 %.
    assert cta.details["drop_pct"] == 46.7
    assert cta.details["usage_source_reporting"] is True
    assert cta.details["days_without_usage_last"] == 14
    # The uncovered account: its 16 days with data average 50, as before: no drop judged
    # from days nobody measured.
    assert not CTA.objects.filter(account=uncovered).exists()
    assert run.findings == 1

    out = call_tool(staff["csm1"], "analyze_engagement_patterns", {"cohort_months": 3})
    silent = {r["account_id"]: r for r in out["silent"]}
    assert silent[covered.pk]["status"] == "no_usage" and silent[covered.pk]["silent_days"] == 14
    assert silent[uncovered.pk]["status"] == "no_data"
    assert (out["accounts_silent_no_usage"], out["accounts_silent_no_data"]) == (1, 1)
    assert out["accounts_skipped_insufficient_history"] == 0


@pytest.mark.date_sensitive
def test_a_source_that_stopped_syncing_is_not_reporting(staff):
    _mixpanel(synced_hours_ago=72)  # older than the 48 h reporting window
    account = _silent_for_14_days(staff["csm1"], "Quiet", mixpanel_group_id="g-2")
    monitor_run(key="usage_drop_alerts", trigger="manual")
    assert not CTA.objects.filter(account=account, reason="usage_drop").exists()
    out = call_tool(staff["csm1"], "analyze_engagement_patterns", {"cohort_months": 3})
    assert [r["status"] for r in out["silent"]] == ["no_data"]


@pytest.mark.date_sensitive
def test_silence_entirely_without_a_source_is_no_data_not_a_drop(staff):
    account = create_account(staff["csm1"], "Gone dark")
    create_usage_days(account, [50] * 30, end=clock.today() - timedelta(days=30))
    run = monitor_run(key="usage_drop_alerts", trigger="manual")
    assert run.findings == 0 and run.details["accounts_silent_no_data"] == 1
