"""support_sla_tracker and onboarding_progress: findings from rows, deduplicated CTAs,
thresholds from the stored config, run by the beat task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from customers.models import CTA, OnboardingMilestone, OnboardingPlan
from health.monitor_tasks import monitors_run_due_task
from health.services.monitors import monitor_config_update, monitor_run
from integrations.models import SupportTicket

pytestmark = pytest.mark.django_db


def _ticket(account, *, priority, hours_ago, first=60, resolution=480, **kw):
    return SupportTicket.objects.create(
        account=account,
        subject="s",
        priority=priority,
        status="open",
        opened_at=clock.now() - timedelta(hours=hours_ago),
        sla_first_response_minutes=first,
        sla_resolution_minutes=resolution,
        **kw,
    )


@pytest.mark.date_sensitive
def test_sla_tracker_raises_one_cta_per_account_from_overdue_open_tickets(two_books):
    acme, globex = two_books["acme"], two_books["globex"]
    late = _ticket(acme, priority="urgent", hours_ago=2)  # first response 1 h overdue
    _ticket(acme, priority="normal", hours_ago=1, first=480)  # not due yet
    _ticket(
        globex, priority="high", hours_ago=3, first_response_at=clock.now() - timedelta(hours=2.5)
    )
    run = monitor_run(key="support_sla_tracker", trigger="manual")
    assert (run.status, run.findings, run.ctas_created) == ("succeeded", 1, 1)
    (cta,) = CTA.objects.filter(reason="sla_breach")
    assert cta.account_id == acme.pk and cta.priority == "high" and cta.status == "open"
    assert cta.details["breached_open_tickets"] == 1
    assert cta.details["unanswered_past_first_response"] == 1
    again = monitor_run(key="support_sla_tracker", trigger="manual")
    assert again.findings == 1 and again.ctas_created == 0
    assert CTA.objects.filter(reason="sla_breach").count() == 1
    # Different data: the ticket is answered in time for its resolution target.
    late.first_response_at = clock.now()
    late.save(update_fields=["first_response_at"])
    assert monitor_run(key="support_sla_tracker", trigger="manual").findings == 0


@pytest.mark.date_sensitive
def test_sla_tracker_thresholds_come_from_the_stored_config(two_books):
    _ticket(two_books["acme"], priority="low", hours_ago=30, first=60)
    monitor_config_update(
        key="support_sla_tracker", thresholds={"min_breached_tickets": 2}, actor=None
    )
    assert monitor_run(key="support_sla_tracker").findings == 0
    monitor_config_update(
        key="support_sla_tracker",
        thresholds={"min_breached_tickets": 1, "priorities": ["urgent"]},
        actor=None,
    )
    assert monitor_run(key="support_sla_tracker").findings == 0
    monitor_config_update(key="support_sla_tracker", thresholds={"priorities": ["low"]}, actor=None)
    run = monitor_run(key="support_sla_tracker")
    assert run.findings == 1 and CTA.objects.get(reason="sla_breach").priority == "medium"


def _plan(account, *, started_days_ago, milestones):
    start = clock.today() - timedelta(days=started_days_ago)
    plan = OnboardingPlan.objects.create(
        account=account, template="t", status="in_progress", started_on=start, target_ttv_days=60
    )
    for i, (status, due_in_days, touched_days_ago) in enumerate(milestones):
        touched = (
            clock.now() - timedelta(days=touched_days_ago) if touched_days_ago is not None else None
        )
        OnboardingMilestone.objects.create(
            plan=plan,
            key=f"m{i}",
            name=f"M{i}",
            position=i,
            status=status,
            due_date=clock.today() + timedelta(days=due_in_days),
            started_at=touched,
            completed_at=touched if status == "done" else None,
        )
    return plan


@pytest.mark.date_sensitive
def test_onboarding_monitor_finds_overdue_blocked_and_idle_plans(two_books, make_user):
    from customers.models import Account

    acme, globex = two_books["acme"], two_books["globex"]
    fresh = Account.objects.create(name="Fresh", domain="fresh.test", owner=acme.owner)
    _plan(acme, started_days_ago=30, milestones=[("done", -20, 25), ("in_progress", -10, 3)])
    _plan(globex, started_days_ago=30, milestones=[("blocked", 5, 2)])
    _plan(fresh, started_days_ago=5, milestones=[("in_progress", 3, 1), ("pending", 10, None)])
    run = monitor_run(key="onboarding_progress", trigger="manual")
    assert (run.findings, run.ctas_created) == (2, 2)
    by_account = {c.account_id: c for c in CTA.objects.filter(reason="onboarding_stalled")}
    assert set(by_account) == {acme.pk, globex.pk}
    assert by_account[acme.pk].details["max_days_overdue"] == 10
    assert by_account[acme.pk].priority == "medium"
    assert by_account[globex.pk].priority == "high"
    assert monitor_run(key="onboarding_progress").ctas_created == 0
    monitor_config_update(key="onboarding_progress", thresholds={"overdue_days": 11}, actor=None)
    assert monitor_run(key="onboarding_progress").findings == 1  # only the blocked plan


@pytest.mark.date_sensitive
def test_idle_plan_is_found_and_the_beat_task_runs_both_monitors(two_books):
    acme = two_books["acme"]
    _plan(acme, started_days_ago=60, milestones=[("in_progress", 30, 40)])
    _ticket(acme, priority="urgent", hours_ago=5)
    result = monitors_run_due_task.delay().get()
    assert {"support_sla_tracker", "onboarding_progress"} <= set(str(result)) or result
    reasons = set(CTA.objects.filter(account=acme).values_list("reason", flat=True))
    assert reasons >= {"sla_breach", "onboarding_stalled"}
    cta = CTA.objects.get(account=acme, reason="onboarding_stalled")
    assert "no progress" in cta.title and cta.details["overdue_milestones"] == 0
