"""The onboarding and training tools on real rows: plans from stored templates, milestone
dependencies, reminder automation (once per milestone and window), sessions with
attendance, certifications with expiry, progress, bottlenecks, time-to-value, journey."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, NotFound
from customers.models import (
    CTA,
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingReminder,
    TrainingCompletion,
    TrainingModule,
)
from customers.services.onboarding import onboarding_automation_run
from customers.tasks import onboarding_automation_run_task
from tests.builders import call_tool

pytestmark = pytest.mark.django_db

STEPS = [
    {"key": "kickoff", "name": "Kickoff call", "due_offset_days": 2},
    {
        "key": "sso",
        "name": "Connect SSO",
        "due_offset_days": 10,
        "owner": "customer",
        "depends_on": ["kickoff"],
    },
    {"key": "first-report", "name": "First report", "due_offset_days": 20, "depends_on": ["sso"]},
]


def plan_tool(user, **payload):
    return call_tool(user, "create_onboarding_plan", payload)


@pytest.fixture
def template(staff):
    plan_tool(
        staff["manager"],
        action="create_template",
        template_key="standard",
        name="Standard",
        target_ttv_days=30,
        milestones=STEPS,
    )
    return "standard"


@pytest.fixture
def plan(template, two_books, staff):
    start = clock.today() - timedelta(days=12)
    return plan_tool(
        staff["csm1"],
        action="create",
        account_id=two_books["acme"].pk,
        template_key=template,
        start_date=start.isoformat(),
    )["plan"]


@pytest.mark.date_sensitive
def test_plan_from_template_has_due_dates_owners_and_dependencies(plan, two_books):
    start = clock.today() - timedelta(days=12)
    ms = {m["key"]: m for m in plan["milestones"]}
    assert [m["key"] for m in plan["milestones"]] == ["kickoff", "sso", "first-report"]
    assert ms["sso"]["due_date"] == (start + timedelta(days=10)).isoformat()
    assert ms["kickoff"]["owner"] == "csm1"
    assert ms["sso"]["owner"] == f"contact:{two_books['ada'].pk}"
    assert ms["first-report"]["depends_on"] == ["sso"]
    assert plan["status"] == "in_progress" and plan["target_ttv_days"] == 30
    assert plan["overdue"] == ["kickoff", "sso"] and plan["progress_pct"] == 0.0


@pytest.mark.date_sensitive
def test_milestone_dependencies_are_enforced_and_drive_the_plan_status(plan, staff):
    ms = {m["key"]: m["id"] for m in plan["milestones"]}
    with pytest.raises(InvalidInput) as err:
        plan_tool(staff["csm1"], action="update_milestone", milestone_id=ms["sso"], status="done")
    assert err.value.details["errors"][0]["field"] == "status"
    assert OnboardingMilestone.objects.get(pk=ms["sso"]).status == "pending"
    for key in ("kickoff", "sso", "first-report"):
        out = plan_tool(
            staff["csm1"], action="update_milestone", milestone_id=ms[key], status="done"
        )
    assert out["plan"]["status"] == "completed" and out["plan"]["progress_pct"] == 100.0
    assert OnboardingPlan.objects.get(pk=plan["id"]).completed_on == clock.today()


def test_template_and_plan_bad_input_write_nothing(template, two_books, staff):
    bad = [*STEPS, {"key": "x", "name": "X", "due_offset_days": 1, "depends_on": ["later"]}]
    with pytest.raises(InvalidInput) as err:
        plan_tool(
            staff["manager"],
            action="create_template",
            template_key="t2",
            name="T2",
            target_ttv_days=10,
            milestones=bad,
        )
    assert err.value.details["errors"][0]["field"] == "milestones.3.depends_on"
    with pytest.raises(NotFound):
        plan_tool(
            staff["csm1"], action="create", account_id=two_books["globex"].pk, template_key=template
        )
    with pytest.raises(InvalidInput) as err:
        plan_tool(staff["csm1"], action="create", account_id=two_books["acme"].pk)
    assert err.value.details["errors"][0]["field"] == "template_key"
    assert OnboardingPlan.objects.count() == 0


@pytest.mark.date_sensitive
def test_automation_reminds_and_escalates_once_per_milestone_and_window(plan, staff):
    plan_id = plan["id"]
    out = call_tool(
        staff["csm1"],
        "activate_onboarding_automation",
        {
            "action": "enable",
            "plan_id": plan_id,
            "remind_days_before": 3,
            "escalate_days_overdue": 2,
        },
    )
    assert out["changed"] == ["automation_enabled"]
    # kickoff 10 days late, sso 2 days late: both escalated; first-report due in 8 days: no.
    result = onboarding_automation_run_task.delay().get()
    assert result == {"plans": 1, "reminders": 2, "escalations": 2, "already_sent": 0}
    again = onboarding_automation_run_task.delay().get()
    assert again["reminders"] == 0 and again["already_sent"] == 2
    assert CTA.objects.filter(reason="onboarding_stalled", status="open").count() == 1
    status = call_tool(
        staff["csm1"], "activate_onboarding_automation", {"action": "status", "plan_id": plan_id}
    )
    assert sorted((r["milestone"], r["kind"]) for r in status["reminders"]) == [
        ("kickoff", "overdue"),
        ("sso", "overdue"),
    ]
    # A later day: first-report is due within 3 days: one due_soon reminder, once.
    later = clock.now() + timedelta(days=6)
    assert len(onboarding_automation_run(now=later).reminders_created) == 1
    assert len(onboarding_automation_run(now=later).reminders_created) == 0
    assert OnboardingReminder.objects.filter(kind="due_soon").count() == 1


def test_training_session_attendance_and_certification_expiry(two_books, staff):
    acme, ada, other = two_books["acme"], two_books["ada"], two_books["nameless"]
    TrainingModule.objects.create(key="admin", title="Admin", grants_certification=True)
    start = clock.now() - timedelta(hours=2)
    s = call_tool(
        staff["csm1"],
        "deliver_training_session",
        {
            "action": "schedule",
            "account_id": acme.pk,
            "module_key": "admin",
            "scheduled_at": start.isoformat(),
            "contact_ids": [ada.pk, other.pk],
        },
    )
    sid = s["sessions"][0]["id"]
    assert s["sessions"][0]["registered"] == 2 and s["sessions"][0]["status"] == "scheduled"
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "deliver_training_session",
            {
                "action": "record_attendance",
                "session_id": sid,
                "attended": [{"contact_id": two_books["bob"].pk}],
            },
        )
    assert err.value.details["errors"][0]["field"] == "attended"
    out = call_tool(
        staff["csm1"],
        "deliver_training_session",
        {
            "action": "record_attendance",
            "session_id": sid,
            "attended": [{"contact_id": ada.pk, "score": 91}],
            "no_show_contact_ids": [other.pk],
        },
    )
    sess = out["sessions"][0]
    assert (sess["status"], sess["attended"]) == ("delivered", 1)
    assert TrainingCompletion.objects.get(contact=ada).score == 91
    assert not TrainingCompletion.objects.filter(contact=other).exists()

    cert = call_tool(
        staff["csm1"],
        "manage_certification_program",
        {"action": "issue", "contact_id": ada.pk, "module_key": "admin", "valid_days": 20},
    )["certifications"][0]
    assert cert["state"] == "expiring"  # 20 days left ≤ 30
    with pytest.raises(NotFound):
        call_tool(
            staff["csm1"],
            "manage_certification_program",
            {"action": "issue", "contact_id": other.pk, "module_key": "admin"},
        )
    listing = call_tool(
        staff["csm1"], "manage_certification_program", {"action": "list", "account_id": acme.pk}
    )
    assert listing["counts"] == {"expiring": 1}
    call_tool(
        staff["csm1"],
        "manage_certification_program",
        {"action": "revoke", "contact_id": ada.pk, "module_key": "admin"},
    )
    listing = call_tool(staff["csm1"], "manage_certification_program", {"action": "list"})
    assert listing["counts"] == {"revoked": 1}


def _finished_plan(account, *, started_days_ago, ttv_days, target, slow_key_days):
    start = clock.today() - timedelta(days=started_days_ago)
    plan = OnboardingPlan.objects.create(
        account=account,
        template="standard",
        status="completed",
        started_on=start,
        completed_on=start + timedelta(days=ttv_days),
        target_ttv_days=target,
    )
    t0 = clock.now() - timedelta(days=started_days_ago)
    for i, (key, days) in enumerate((("kickoff", 1), ("sso", slow_key_days))):
        OnboardingMilestone.objects.create(
            plan=plan,
            key=key,
            name=key,
            position=i,
            status="done",
            due_date=start + timedelta(days=5 * (i + 1)),
            started_at=t0,
            completed_at=t0 + timedelta(days=days),
        )
    return plan


@pytest.mark.date_sensitive
def test_progress_bottlenecks_and_time_to_value_from_history(plan, two_books, staff):
    acme = two_books["acme"]
    _finished_plan(acme, started_days_ago=100, ttv_days=25, target=30, slow_key_days=9)
    _finished_plan(acme, started_days_ago=80, ttv_days=45, target=30, slow_key_days=15)
    progress = call_tool(staff["csm1"], "track_onboarding_progress", {})
    (row,) = progress["plans"]
    assert row["plan_id"] == plan["id"] and row["on_track"] is False
    assert row["overdue"] == ["kickoff", "sso"] and row["current_milestone"] == "kickoff"
    (tier,) = progress["by_tier"]
    assert tier["plans_completed"] == 2 and tier["ttv_days_median"] == 35.0
    assert tier["within_target_pct"] == 50.0 and tier["on_track_pct"] == 0.0

    process = call_tool(staff["csm1"], "optimize_onboarding_process", {})
    sso = next(m for m in process["milestones"] if m["key"] == "sso")
    assert (sso["completed"], sso["median_days"], sso["late_pct"]) == (2, 12.0, 50.0)
    assert sso["overdue_now"] == 1
    assert {f["finding"]: f["milestone"] for f in process["findings"]}["slowest"] == "sso"

    ttv = call_tool(staff["csm1"], "optimize_time_to_value", {})
    assert ttv["overall"]["ttv_days_median"] == 35.0
    assert [(a["over_target_days"], a["status"]) for a in ttv["furthest_over_target"]] == [
        (15, "completed")
    ]
    stricter = call_tool(staff["csm1"], "optimize_time_to_value", {"target_days": 20})
    assert stricter["overall"]["within_target_pct"] == 0.0
    assert len(stricter["furthest_over_target"]) == 2
