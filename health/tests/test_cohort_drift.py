"""Cohort drift: a cohort whose usage (or median health) falls together raises one CTA for
the manager naming the cohort, the move and its drivers; ordinary week-to-week noise raises
none."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cs_platform.core import clock
from customers.models import CTA
from health.models import HealthScore, LatestHealthScore, Scorecard
from health.scoring.cohort_drift import cohort_drift, cohort_health_drift, week_changes
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
def test_monitor_queries_do_not_grow_with_accounts(staff, audit_chain_held):
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


# --- median health per cohort ----------------------------------------------------------------
HEALTH_RULE = {"sigma": 3.0, "min_move_points": 5.0, "min_std_points": 1.5, "min_accounts": 5}


def test_health_drift_by_hand():
    # Five accounts, scores newest first 60, 70, 72, 70, 72, 70: the median moves -10, then
    # -2, +2, -2, +2. Baseline mean 0, std 2: |-10 - 0| > 3 x 2 and >= 5 -> drift, z -5.
    moved = cohort_health_drift({a: [60, 70, 72, 70, 72, 70] for a in range(1, 6)}, **HEALTH_RULE)
    assert (moved.median_before, moved.median_now) == (70.0, 60.0)
    d = moved.drift
    assert (d.move_pct, d.baseline_mean_pct, d.baseline_std_pct, d.z) == (-10.0, 0.0, 2.0, -5.0)
    assert d.accounts == 5 and d.drivers[0] == (1, -10.0)


def test_health_noise_and_newcomers_are_not_drift():
    # The same normal variation (std 2) and a latest move of -5: within 3 x 2.
    assert cohort_health_drift({a: [65, 70, 72, 70, 72, 70] for a in range(1, 6)},
                               **HEALTH_RULE) is None  # fmt: skip
    # A flat cohort and an account scored for the first time this week at 10: the median
    # is taken over accounts scored in both weeks, so the newcomer moves nothing.
    accounts = {a: [70, 70, 70, 70, 70] for a in range(1, 6)}
    accounts[6] = [10, None, None, None, None]
    assert cohort_health_drift(accounts, **HEALTH_RULE) is None
    # A one-point wobble on a flat cohort stays under the 1.5-point std floor (3 x 1.5).
    assert cohort_health_drift({a: [69, 70, 70, 70, 70] for a in range(1, 6)},
                               **{**HEALTH_RULE, "min_move_points": 0.5}) is None  # fmt: skip


def _weekly_scores(account, scores_newest_first, card):
    now = clock.now()
    snapshots = HealthScore.objects.bulk_create(
        HealthScore(
            account=account, scorecard=card, as_of=now - timedelta(days=7 * k, hours=1),
            computed_at=now, score=Decimal(str(s)), computed_score=Decimal(str(s)),
            band="green", coverage=Decimal("1.000"), confidence="high", inputs={}, result={},
        )
        for k, s in enumerate(scores_newest_first)
    )  # fmt: skip
    if snapshots:
        LatestHealthScore.objects.create(
            account=account, snapshot=snapshots[0], as_of=snapshots[0].as_of
        )


@pytest.mark.django_db
@pytest.mark.date_sensitive
def test_monitor_raises_one_cta_for_a_cohort_whose_median_health_fell(staff):
    card = Scorecard.objects.get(key="default", is_active=True)
    falling = []
    for n in range(6):
        account = create_account(staff["csm1"], f"Retail {n}", industry="retail")
        # Nine weeks at 70 + n, then 55 + n: every account -15 points in the last week.
        _weekly_scores(account, [55 + n] + [70 + n] * 9, card)
        falling.append(account)
    for n in range(6):
        account = create_account(staff["csm2"], f"Bank {n}", industry="finance")
        # Each account wobbles 69/70/71 week to week; the cohort's median stays 70.
        _weekly_scores(account, [70 + (k + n) % 3 - 1 for k in range(10)], card)
    monitor_config_update(
        key="cohort_drift_monitor", thresholds={"dimensions": ["industry"]}, actor=None
    )
    run = monitor_run(key="cohort_drift_monitor", trigger="manual")
    assert (run.status, run.findings) == ("succeeded", 1)
    assert run.details["drifting_by_signal"] == {"health": 1, "usage": 0}
    [cta] = CTA.objects.filter(reason="cohort_drift")
    assert cta.owner == staff["manager"] and cta.priority == "high"
    assert cta.details["signal"] == "health"
    assert cta.details["cohort"] == {"dimension": "industry", "value": "retail", "accounts": 6}
    # Medians over n = 0..5: before 70 + 2.5 = 72.5, now 55 + 2.5 = 57.5.
    assert (cta.details["median_health_before"], cta.details["median_health_now"]) == (
        72.5, 57.5
    )  # fmt: skip
    assert cta.details["move_points"] == -15.0
    assert (cta.details["baseline_mean_points"], cta.details["baseline_std_points"]) == (0, 0)
    assert cta.title == (
        "Cohort industry=retail: median health 72.5 → 57.5 (-15 points in a week; normal +0 ± "
        "0), 6 accounts"
    )
    drivers = cta.details["drivers"]
    assert len(drivers) == 5 and {d["change_points"] for d in drivers} == {-15.0}
    assert cta.account == falling[0]  # equal falls: the lowest id carries the CTA
    # Watching usage only, the same data raises nothing.
    CTA.objects.all().delete()
    monitor_config_update(
        key="cohort_drift_monitor",
        thresholds={"dimensions": ["industry"], "signals": ["usage"]},
        actor=None,
    )
    assert monitor_run(key="cohort_drift_monitor", trigger="manual").findings == 0
