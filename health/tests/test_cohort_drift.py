"""Cohort drift: a cohort whose usage falls together raises one CTA for the manager naming
the cohort, the move and its drivers; ordinary week-to-week noise raises none."""

from __future__ import annotations

import pytest

from customers.models import CTA
from health.scoring.cohort_drift import cohort_drift, week_changes
from health.services.monitors import monitor_config_update, monitor_run
from health.tests.builders import create_account, create_usage_days

RULE = {"sigma": 3.0, "min_move_pct": 15.0, "min_std_pct": 3.0, "min_accounts": 5}


def test_week_changes_by_hand():
    assert week_changes([60, 100, 0, 50]) == [-40.0, None, -100.0]


def test_a_cohort_falling_together_is_drift():
    # Every account: 100 a week for four weeks, then 60: changes -40, 0, 0, 0, 0.
    # Baseline moves 0, 0, 0, 0: mean 0, std 0 -> floor 3; |-40| > 3 x 3 and >= 15.
    drift = cohort_drift({a: [60, 100, 100, 100, 100, 100] for a in range(1, 6)}, **RULE)
    assert drift is not None
    assert (drift.move_pct, drift.baseline_mean_pct, drift.baseline_std_pct) == (-40.0, 0.0, 0.0)
    assert drift.z is None and drift.accounts == 5
    assert drift.drivers == ((1, -40.0), (2, -40.0), (3, -40.0), (4, -40.0), (5, -40.0))


def test_ordinary_noise_is_not_drift():
    # Changes +4.1, -4.9, +6.2, -4.0, +2.0 (weeks 102, 98, 103, 97, 101, 99): the latest
    # +4.1 is well inside mean -0.15 ± 3 x 4.6.
    weeks = [102, 98, 103, 97, 101, 99]
    assert cohort_drift({a: weeks for a in range(1, 6)}, **RULE) is None
    # Too small a cohort is not judged, however far it moved.
    assert cohort_drift({a: [60, 100, 100, 100, 100] for a in range(1, 4)}, **RULE) is None


@pytest.mark.django_db
@pytest.mark.date_sensitive
def test_monitor_raises_one_cta_for_the_falling_cohort_and_none_for_noise(staff):
    falling = []
    for n in range(6):
        account = create_account(staff["csm1"], f"Retail {n}", industry="retail")
        # 63 days at 50 active users, then 7 days at 25 + n: the cohort halves together.
        create_usage_days(account, [50] * 63 + [25 + n] * 7)
        falling.append(account)
    for n in range(6):
        account = create_account(staff["csm2"], f"Bank {n}", industry="finance")
        # Week-to-week noise around 50: no drift.
        create_usage_days(account, [50 + ((d // 7 + n) % 3) - 1 for d in range(70)])
    monitor_config_update(
        key="cohort_drift_monitor", thresholds={"dimensions": ["industry"]}, actor=None
    )
    run = monitor_run(key="cohort_drift_monitor", trigger="manual")
    assert (run.status, run.findings) == ("succeeded", 1)
    [cta] = CTA.objects.filter(reason="cohort_drift")
    assert cta.owner == staff["manager"]
    assert cta.details["cohort"] == {"dimension": "industry", "value": "retail", "accounts": 6}
    # Each retail account: (7 x (25 + n) - 350) / 350; median of n = 0..5 is n = 2.5:
    # (7 x 27.5 - 350) / 350 = -45 %.
    assert cta.details["move_pct"] == -45.0
    assert cta.title.startswith("Cohort industry=retail: median weekly usage -45%")
    drivers = [d["account_id"] for d in cta.details["drivers"]]
    assert drivers[0] == falling[0].pk and set(drivers) <= {a.pk for a in falling}
    assert cta.account == falling[0]  # the largest fall (25 a day) carries the CTA
    assert run.details["cohorts_checked"] == 2 and run.details["cohorts_drifting"] == 1


def _falling_cohort(owner, n: int, offset: int) -> None:
    for i in range(n):
        account = create_account(owner, f"Shop {offset + i}", industry="retail")
        create_usage_days(account, [50] * 63 + [25] * 7)


@pytest.mark.django_db
@pytest.mark.date_sensitive
def test_monitor_queries_do_not_grow_with_accounts(staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _falling_cohort(staff["csm1"], 6, 0)
    monitor_config_update(key="cohort_drift_monitor", thresholds={}, actor=None)
    with CaptureQueriesContext(connection) as small:
        assert monitor_run(key="cohort_drift_monitor").findings == 1
    CTA.objects.all().delete()
    _falling_cohort(staff["csm1"], 18, 100)
    with CaptureQueriesContext(connection) as large:
        assert monitor_run(key="cohort_drift_monitor").findings == 1
    assert len(large) == len(small)
