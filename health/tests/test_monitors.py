"""Monitors: real findings from constructed rows, one open CTA per account and reason,
MonitorRun bookkeeping, schedule, failures recorded, constant query counts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput
from customers.models import CTA, Activity, CtaStatus, OnboardingMilestone, OnboardingPlan
from customers.services.ctas import CtaFinding, cta_raise, cta_raise_bulk
from health.models import MonitorConfig, MonitorRun
from health.monitor_tasks import monitor_run_task, monitors_run_due_task
from health.services.monitors import (
    MONITORS,
    monitor_config_update,
    monitor_configs_ensure,
    monitor_run,
    monitors_due,
)
from health.tests.builders import (
    create_account,
    create_churn_prediction,
    create_health_score,
    create_renewal,
    create_survey_answer,
    create_usage_days,
)
from integrations.models import SupportTicket

pytestmark = pytest.mark.django_db


def ctas(reason: str) -> list[CTA]:
    return list(CTA.objects.filter(reason=reason).order_by("account_id"))


def test_configs_are_created_once_with_documented_defaults():
    configs = monitor_configs_ensure()
    assert set(configs) == {
        "churn_risk_monitor",
        "usage_drop_alerts",
        "nps_csat_monitor",
        "retention_analyzer",
        "upsell_detector",
        "support_sla_tracker",
        "onboarding_progress",
        "cohort_drift_monitor",
    }
    usage = configs["usage_drop_alerts"]
    assert usage.thresholds["drop_pct"] == 30.0 and usage.thresholds["window_days"] == 30
    assert usage.enabled and usage.interval_minutes == 360
    usage.thresholds = {**usage.thresholds, "drop_pct": 45.0}
    usage.save()
    monitor_configs_ensure()
    assert MonitorConfig.objects.count() == len(MONITORS)
    assert MonitorConfig.objects.get(key="usage_drop_alerts").thresholds["drop_pct"] == 45.0


@pytest.mark.date_sensitive
def test_usage_drop_finds_the_drop_with_its_numbers_and_is_idempotent(staff):
    dropping = create_account(staff["csm1"], "Dropping")
    create_usage_days(dropping, [80] * 30 + [40] * 30)
    flat = create_account(staff["csm1"], "Flat")
    create_usage_days(flat, [50] * 60)
    create_account(staff["csm2"], "No usage")

    run = monitor_run(key="usage_drop_alerts", trigger="manual")
    assert (run.status, run.accounts_scanned, run.findings, run.ctas_created) == (
        "succeeded",
        3,
        1,
        1,
    )
    assert run.details["accounts_with_baseline"] == 2
    [cta] = ctas("usage_drop")
    assert cta.account == dropping and cta.owner == staff["csm1"] and cta.status == "open"
    assert cta.details["drop_pct"] == 50.0
    assert cta.details["active_user_days_last"] == 1200
    assert cta.details["active_user_days_prior"] == 2400
    assert (cta.details["avg_dau_last"], cta.details["avg_dau_prior"]) == (40.0, 80.0)
    assert cta.priority == "high" and cta.title == "Usage dropped 50% over 30 days"
    assert cta.source == "usage_drop_alerts"

    again = monitor_run(key="usage_drop_alerts", trigger="manual")
    assert (again.findings, again.ctas_created, again.details["ctas_unchanged"]) == (1, 0, 1)
    assert CTA.objects.filter(reason="usage_drop").count() == 1
    assert MonitorRun.objects.count() == 2
    assert MonitorConfig.objects.get(key="usage_drop_alerts").last_run_at == again.started_at


@pytest.mark.date_sensitive
def test_usage_drop_refreshes_the_open_cta_with_fresh_numbers(staff):
    account = create_account(staff["csm1"], "Dropping")
    create_usage_days(account, [80] * 30 + [40] * 30)
    monitor_run(key="usage_drop_alerts")
    account.usage_days.filter(date=clock.now().date()).update(active_users=10, sessions=10)
    run = monitor_run(key="usage_drop_alerts")
    assert (run.ctas_created, run.details["ctas_updated"]) == (0, 1)
    [cta] = ctas("usage_drop")
    assert cta.details["active_user_days_last"] == 1170
    assert cta.details["drop_pct"] == 51.3


@pytest.mark.date_sensitive
def test_thresholds_come_from_the_config_row(staff):
    account = create_account(staff["csm1"], "Dropping")
    create_usage_days(account, [80] * 30 + [40] * 30)
    monitor_config_update(key="usage_drop_alerts", thresholds={"drop_pct": 60}, actor=None)
    assert monitor_run(key="usage_drop_alerts").findings == 0
    with pytest.raises(InvalidInput) as err:
        monitor_config_update(
            key="usage_drop_alerts", thresholds={"drop_pct": 500, "nope": 1}, actor=None
        )
    assert {e["field"] for e in err.value.details["errors"]} == {
        "thresholds.drop_pct",
        "thresholds.nope",
    }
    assert MonitorConfig.objects.get(key="usage_drop_alerts").thresholds["drop_pct"] == 60


@pytest.mark.date_sensitive
def test_churn_risk_raises_for_probability_or_red_band(staff):
    risky = create_account(staff["csm1"], "Risky")
    create_churn_prediction(risky, "0.6200")
    calm = create_account(staff["csm1"], "Calm")
    create_churn_prediction(calm, "0.1000")
    create_health_score(calm, 80, "green")
    red = create_account(staff["csm2"], "Red")
    create_health_score(red, 31.5, "red")
    run = monitor_run(key="churn_risk_monitor")
    assert (run.accounts_scanned, run.findings, run.ctas_created) == (3, 2, 2)
    by_account = {c.account_id: c for c in ctas("churn_risk")}
    assert set(by_account) == {risky.pk, red.pk}
    assert by_account[risky.pk].priority == "urgent"
    assert by_account[risky.pk].details["probability"] == 0.62
    assert by_account[risky.pk].details["triggers"] == ["probability"]
    assert by_account[red.pk].priority == "high"
    assert by_account[red.pk].details["triggers"] == ["health_red"]
    assert by_account[red.pk].details["health_score"] == 31.5


@pytest.mark.date_sensitive
def test_closed_cta_is_not_reopened_during_cooldown(staff):
    risky = create_account(staff["csm1"], "Risky")
    create_churn_prediction(risky, "0.6200")
    monitor_run(key="churn_risk_monitor")
    CTA.objects.filter(account=risky).update(status=CtaStatus.DONE, closed_at=clock.now())
    run = monitor_run(key="churn_risk_monitor")
    assert (run.findings, run.ctas_created, run.details["skipped_cooldown"]) == (1, 0, 1)
    CTA.objects.filter(account=risky).update(closed_at=clock.now() - timedelta(days=20))
    assert monitor_run(key="churn_risk_monitor").ctas_created == 1
    assert CTA.objects.filter(account=risky, status="open").count() == 1


@pytest.mark.date_sensitive
def test_nps_csat_uses_recent_low_answers_and_respects_closure(staff):
    unhappy = create_account(staff["csm1"], "Unhappy")
    create_survey_answer(unhappy, "nps", 3, days_ago=5)
    create_survey_answer(unhappy, "nps", 9, days_ago=4)
    create_survey_answer(unhappy, "csat", 2, days_ago=2)
    old = create_account(staff["csm1"], "Old complaint")
    create_survey_answer(old, "nps", 1, days_ago=40)
    happy = create_account(staff["csm2"], "Happy")
    create_survey_answer(happy, "nps", 10, days_ago=1)
    create_survey_answer(happy, "csat", 4, days_ago=1)

    run = monitor_run(key="nps_csat_monitor")
    assert (run.findings, run.ctas_created) == (1, 1)
    [cta] = ctas("low_satisfaction")
    assert cta.account == unhappy and cta.priority == "high"
    assert cta.details["detractor_nps_answers"] == 1 and cta.details["lowest_nps_answer"] == 3
    assert cta.details["low_csat_answers"] == 1 and cta.details["lowest_csat_answer"] == 2

    cta.status, cta.closed_at = CtaStatus.DONE, clock.now()
    cta.save()
    assert monitor_run(key="nps_csat_monitor").findings == 0  # already acted on
    create_survey_answer(unhappy, "nps", 5, days_ago=0)
    rerun = monitor_run(key="nps_csat_monitor")
    assert (rerun.findings, rerun.ctas_created) == (1, 1)
    fresh = CTA.objects.get(reason="low_satisfaction", status="open")
    assert fresh.details["lowest_nps_answer"] == 5 and fresh.details["low_csat_answers"] == 0


@pytest.mark.date_sensitive
def test_retention_analyzer_needs_a_near_renewal_and_a_warning(staff):
    now = clock.now()
    yellow = create_account(staff["csm1"], "Yellow renewing")
    create_renewal(yellow, 20)
    create_health_score(yellow, 55, "yellow")
    Activity.objects.create(account=yellow, kind="call", occurred_at=now, subject="Check-in")
    quiet = create_account(staff["csm1"], "Quiet green")
    create_renewal(quiet, 60)
    create_health_score(quiet, 85, "green")
    Activity.objects.create(
        account=quiet, kind="call", occurred_at=now - timedelta(days=45), subject="Old call"
    )
    fine = create_account(staff["csm1"], "Fine green")
    create_renewal(fine, 60)
    create_health_score(fine, 85, "green")
    Activity.objects.create(account=fine, kind="meeting", occurred_at=now, subject="QBR")
    far = create_account(staff["csm2"], "Far red")
    create_renewal(far, 200)
    create_health_score(far, 20, "red")

    run = monitor_run(key="retention_analyzer")
    assert (run.accounts_scanned, run.findings) == (4, 2)
    by_account = {c.account_id: c for c in ctas("renewal")}
    assert set(by_account) == {yellow.pk, quiet.pk}
    y = by_account[yellow.pk]
    assert y.details["triggers"] == ["health_not_healthy"] and y.details["days_to_renewal"] == 20
    assert y.priority == "high" and y.title == "Renewal in 20 days: health yellow"
    q = by_account[quiet.pk]
    assert (
        q.details["triggers"] == ["no_recent_activity"] and q.details["days_since_activity"] == 45
    )
    assert q.priority == "medium"


def test_failed_run_is_recorded_and_writes_no_ctas(staff):
    account = create_account(staff["csm1"], "Dropping")
    create_usage_days(account, [80] * 30 + [40] * 30)
    monitor_configs_ensure()
    MonitorConfig.objects.filter(key="usage_drop_alerts").update(thresholds={"drop_pct": "lots"})
    run = monitor_run(key="usage_drop_alerts")
    assert run.status == "failed" and "thresholds.drop_pct" in run.error
    assert CTA.objects.count() == 0
    with pytest.raises(Exception, match="failed"):
        monitor_run_task("usage_drop_alerts")


@pytest.mark.date_sensitive
def test_run_due_respects_interval_and_enabled_flag(staff):
    now = clock.now()
    assert monitors_due(now) == sorted(MONITORS)
    result = monitors_run_due_task()
    assert set(result) == set(MONITORS)
    assert all(r["status"] == "succeeded" for r in result.values())
    assert monitors_due(clock.now()) == []
    MonitorConfig.objects.filter(key="nps_csat_monitor").update(
        last_run_at=now - timedelta(minutes=61)
    )
    MonitorConfig.objects.filter(key="usage_drop_alerts").update(
        last_run_at=now - timedelta(days=1), enabled=False
    )
    assert monitors_due(clock.now()) == ["nps_csat_monitor"]
    assert MonitorRun.objects.filter(status="succeeded").count() == len(MONITORS)


def create_overdue_ticket(account) -> None:
    SupportTicket.objects.create(
        account=account,
        subject="Down",
        priority="urgent",
        status="open",
        opened_at=clock.now() - timedelta(hours=3),
        sla_first_response_minutes=60,
        sla_resolution_minutes=480,
    )


def create_blocked_onboarding_plan(account) -> None:
    plan = OnboardingPlan.objects.create(
        account=account,
        template="t",
        status="stalled",
        started_on=clock.today() - timedelta(days=30),
    )
    OnboardingMilestone.objects.create(plan=plan, key="sso", name="SSO", status="blocked")


def _portfolio(staff, n: int, offset: int) -> None:
    for i in range(n):
        # 40 licensed seats for 40 peak users: full, so the upsell detector finds seats.
        a = create_account(staff["csm1"], f"Acct {offset + i}", seats_licensed=40)
        create_usage_days(a, [80] * 30 + [40] * 30)
        create_renewal(a, 30)
        create_health_score(a, 30, "red")
        create_churn_prediction(a, "0.7000")
        create_survey_answer(a, "nps", 2)
        create_overdue_ticket(a)
        create_blocked_onboarding_plan(a)


# Per-account monitors (one CTA per account found); cohort drift raises one CTA per cohort
# and has its own query-count test in test_cohort_drift.py.
@pytest.mark.date_sensitive
@pytest.mark.parametrize("key", sorted(set(MONITORS) - {"cohort_drift_monitor"}))
def test_monitor_queries_do_not_grow_with_accounts(staff, audit_chain_held, key):
    _portfolio(staff, 3, 0)
    monitor_configs_ensure()
    if key == "upsell_detector":  # these accounts are red: let red accounts expand
        monitor_config_update(key=key, thresholds={"expansion_bands": ["red"]}, actor=None)
    with CaptureQueriesContext(connection) as small:
        assert monitor_run(key=key).ctas_created == 3
    CTA.objects.all().delete()
    _portfolio(staff, 9, 100)
    with CaptureQueriesContext(connection) as large:
        assert monitor_run(key=key).ctas_created == 12
    assert len(large) == len(small)


def test_cta_raise_opens_once_then_refreshes(staff):
    account = create_account(staff["csm1"], "Acme")
    first = cta_raise(
        account=account,
        reason="manual",
        title="Call them",
        priority="medium",
        source="manual",
        details={"n": 1},
        due_date=None,
    )
    second = cta_raise(
        account=account,
        reason="manual",
        title="Call them now",
        priority="low",
        source="manual",
        details={"n": 2},
        due_date=None,
    )
    assert first.created and not second.created and first.cta.pk == second.cta.pk
    cta = CTA.objects.get()
    assert (cta.title, cta.priority, cta.details) == ("Call them now", "medium", {"n": 2})
    assert list(
        AuditEvent.objects.filter(action__startswith="cta.").values_list("action", flat=True)
    ) == ["cta.opened", "cta.refreshed"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_raises_end_with_one_open_cta(staff):
    """A second writer blocked on the partial unique index refreshes the winner's CTA."""
    account = create_account(staff["csm1"], "Raced")
    inserted, release, errors = threading.Event(), threading.Event(), []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                CTA.objects.create(
                    account=account, reason="churn_risk", title="first", source="t", details={}
                )
                inserted.set()
                release.wait(5)
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert inserted.wait(5)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    raised = cta_raise(
        account=account,
        reason="churn_risk",
        title="second",
        priority="high",
        source="t",
        details={"k": 1},
        due_date=None,
    )
    thread.join(5)
    assert not errors and not raised.created
    bulk = cta_raise_bulk(
        reason="churn_risk",
        source="t",
        findings=[CtaFinding(account.pk, None, "third", "high", {"k": 2})],
        now=clock.now(),
    )
    assert bulk.created_ids == [] and bulk.updated_ids == [raised.cta.pk]
    cta = CTA.objects.get(account=account, reason="churn_risk")
    assert (cta.title, cta.priority, cta.details) == ("third", "high", {"k": 2})
