"""Retention tools: campaigns with CTAs, satisfaction maths, escalation SLAs, churn
post-mortems and rule-triggered campaigns — from constructed rows, scoped to the caller."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cs_platform.core import clock
from cs_platform.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from customers.models import CTA, Campaign, CampaignEnrollment, Escalation
from health.models import ChurnPrediction
from health.monitor_tasks import retention_campaigns_evaluate_task
from health.tests.builders import (
    create_account,
    create_churn_prediction,
    create_health_score,
    create_survey_answer,
    create_usage_days,
)
from integrations.models import SupportTicket
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


# --- execute_retention_campaign --------------------------------------------------------
@pytest.mark.date_sensitive
def test_campaign_enrolls_accounts_and_opens_one_cta_each(staff):
    a = create_account(staff["csm1"], "A")
    b = create_account(staff["csm1"], "B")
    payload = {
        "campaign_name": "Q3 save",
        "account_ids": [a.pk, b.pk],
        "cta_title": "Run save play",
        "cta_priority": "urgent",
        "due_in_days": 3,
    }
    out = call_tool(staff["csm1"], "execute_retention_campaign", payload)
    assert out["campaign_created"] and (out["enrolled_new"], out["ctas_created"]) == (2, 2)
    campaign = Campaign.objects.get(pk=out["campaign_id"])
    assert campaign.kind == "retention" and campaign.status == "active"
    assert set(campaign.enrollments.values_list("account_id", flat=True)) == {a.pk, b.pk}
    cta = CTA.objects.get(account=a)
    assert (cta.reason, cta.title, cta.priority) == (
        "retention_campaign",
        "Run save play",
        "urgent",
    )
    assert cta.due_date == clock.today() + timedelta(days=3) and cta.owner == staff["csm1"]
    assert cta.details["campaign_id"] == campaign.pk

    again = call_tool(
        staff["csm1"],
        "execute_retention_campaign",
        {"campaign_id": campaign.pk, "account_ids": [a.pk, b.pk]},
    )
    assert (again["already_active"], again["enrolled_new"], again["ctas_created"]) == (2, 0, 0)
    assert CTA.objects.count() == 2 and CampaignEnrollment.objects.count() == 2


@pytest.mark.date_sensitive
def test_campaign_rejects_out_of_scope_accounts_and_dry_run_writes_nothing(staff):
    mine = create_account(staff["csm1"], "Mine")
    theirs = create_account(staff["csm2"], "Theirs")
    with pytest.raises(NotFound) as err:
        call_tool(
            staff["csm1"],
            "execute_retention_campaign",
            {"campaign_name": "Sneaky", "account_ids": [mine.pk, theirs.pk]},
        )
    assert err.value.details["account_ids"] == [theirs.pk]
    dry = call_tool(
        staff["csm1"],
        "execute_retention_campaign",
        {"campaign_name": "Trial", "account_ids": [mine.pk], "dry_run": True},
    )
    assert dry["dry_run"] and dry["enrolled_new"] == 1 and dry["ctas_created"] == 1
    assert not Campaign.objects.exists() and not CTA.objects.exists()
    with pytest.raises(InvalidInput):
        call_tool(staff["csm1"], "execute_retention_campaign", {"campaign_name": "No targets"})
    finished = Campaign.objects.create(name="Old", kind="retention", status="finished")
    with pytest.raises(Conflict):
        call_tool(
            staff["csm1"],
            "execute_retention_campaign",
            {"campaign_id": finished.pk, "account_ids": [mine.pk]},
        )


@pytest.mark.date_sensitive
def test_campaign_targets_a_segment_within_scope(staff):
    a = create_account(staff["csm1"], "Ent A", tier="enterprise")
    create_account(staff["csm2"], "Ent B", tier="enterprise")
    call_tool(
        staff["manager"],
        "segment_customers",
        {
            "action": "create",
            "segment_key": "ent",
            "name": "Enterprise",
            "conditions": [{"field": "tier", "op": "eq", "value": "enterprise"}],
        },
    )
    out = call_tool(
        staff["csm1"],
        "execute_retention_campaign",
        {"campaign_name": "Enterprise save", "segment_key": "ent"},
    )
    assert out["accounts_targeted"] == 1
    assert list(CampaignEnrollment.objects.values_list("account_id", flat=True)) == [a.pk]


# --- monitor_satisfaction --------------------------------------------------------------
def test_satisfaction_is_computed_from_answers(staff):
    a = create_account(staff["csm1"], "A")
    b = create_account(staff["csm1"], "B")
    other = create_account(staff["csm2"], "Other")
    for score in (10, 9, 7):
        create_survey_answer(a, "nps", score, days_ago=3)
    for score in (3, 0):
        create_survey_answer(b, "nps", score, days_ago=3)
    for score in (5, 4, 2):
        create_survey_answer(a, "csat", score, days_ago=3)
    create_survey_answer(b, "ces", 6, days_ago=3)
    create_survey_answer(b, "ces", 3, days_ago=3)
    create_survey_answer(a, "nps", 0, days_ago=200)  # outside the window
    create_survey_answer(other, "nps", 0, days_ago=1)  # another book
    out = call_tool(staff["csm1"], "monitor_satisfaction", {"days": 90})
    o = out["overall"]
    assert (o["nps_responses"], o["promoters"], o["passives"], o["detractors"]) == (5, 2, 1, 2)
    assert o["nps"] == 0.0 and o["nps_answer_avg"] == 5.8
    assert (o["csat_avg"], o["csat_satisfied_pct"], o["csat_low_answers"]) == (3.67, 66.7, 1)
    assert (o["ces_avg"], o["ces_easy_pct"]) == (4.5, 50.0)
    assert out["missing"] == []
    rows = {r["name"]: r for r in out["accounts"]}
    assert rows["A"]["nps"] == 66.7 and rows["B"]["nps"] == -100.0
    assert rows["B"]["lowest_nps_answer"] == 0
    risky = call_tool(staff["csm1"], "monitor_satisfaction", {"only_at_risk": True, "limit": 1})
    assert [r["name"] for r in risky["accounts"]] == ["A"] and risky["page"]["has_next"]
    single = call_tool(staff["csm1"], "monitor_satisfaction", {"account_id": b.pk})
    assert single["overall"]["csat_avg"] is None and single["missing"] == ["csat"]
    with pytest.raises(NotFound):
        call_tool(staff["csm1"], "monitor_satisfaction", {"account_id": other.pk})


# --- manage_escalations ----------------------------------------------------------------
def test_escalation_sla_comes_from_severity_and_follows_changes(staff):
    account = create_account(staff["csm1"], "Acme")
    ticket = SupportTicket.objects.create(
        account=account, subject="Down", priority="urgent", opened_at=clock.now()
    )
    out = call_tool(
        staff["csm1"],
        "manage_escalations",
        {
            "action": "create",
            "account_id": account.pk,
            "severity": "high",
            "summary": "Exec complaint about outage",
            "ticket_id": ticket.pk,
        },
    )
    esc = out["escalation"]
    opened = datetime.fromisoformat(esc["opened_at"])
    assert datetime.fromisoformat(esc["sla_due_at"]) - opened == timedelta(hours=24)
    assert esc["owner"] == "csm1" and esc["ticket_id"] == ticket.pk and not esc["sla_breached"]
    assert out["sla_policy_hours"] == {"urgent": 4, "high": 24, "medium": 72, "low": 168}

    upd = call_tool(
        staff["csm1"],
        "manage_escalations",
        {"action": "update", "escalation_id": esc["id"], "severity": "urgent"},
    )
    due = datetime.fromisoformat(upd["escalation"]["sla_due_at"])
    assert due - opened == timedelta(hours=4)  # recomputed from the opening, not from now
    assert {c["field"] for c in upd["changed"]} == {"severity", "sla_due_at"}

    Escalation.objects.filter(pk=esc["id"]).update(
        opened_at=clock.now() - timedelta(hours=10),
        sla_due_at=clock.now() - timedelta(hours=6),
    )
    breached = call_tool(
        staff["csm1"], "manage_escalations", {"action": "list", "only_breached": True}
    )
    assert [e["id"] for e in breached["escalations"]] == [esc["id"]]
    assert breached["escalations"][0]["hours_to_sla"] == -6.0
    done = call_tool(
        staff["csm1"],
        "manage_escalations",
        {"action": "update", "escalation_id": esc["id"], "status": "resolved"},
    )
    assert done["escalation"]["resolved_at"] is not None and done["escalation"]["sla_breached"]
    assert done["escalation"]["hours_to_sla"] is None


def test_escalation_override_validation_and_scope(staff):
    account = create_account(staff["csm1"], "Acme")
    other = create_account(staff["csm2"], "Other")
    foreign_ticket = SupportTicket.objects.create(account=other, subject="x", opened_at=clock.now())
    out = call_tool(
        staff["csm1"],
        "manage_escalations",
        {
            "action": "create",
            "account_id": account.pk,
            "severity": "low",
            "summary": "Slow reports",
            "sla_hours": 10,
        },
    )
    opened = datetime.fromisoformat(out["escalation"]["opened_at"])
    assert datetime.fromisoformat(out["escalation"]["sla_due_at"]) - opened == timedelta(hours=10)
    moved = call_tool(
        staff["csm1"],
        "manage_escalations",
        {
            "action": "update",
            "escalation_id": out["escalation"]["id"],
            "owner_id": staff["manager"].pk,
        },
    )
    assert moved["escalation"]["owner"] == "manager"
    assert moved["changed"] == [
        {"field": "owner_id", "before": staff["csm1"].pk, "after": staff["manager"].pk}
    ]
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "manage_escalations",
            {
                "action": "create",
                "account_id": account.pk,
                "severity": "high",
                "summary": "Wrong ticket",
                "ticket_id": foreign_ticket.pk,
            },
        )
    assert err.value.details["errors"][0]["field"] == "ticket_id"
    with pytest.raises(NotFound):
        call_tool(
            staff["csm2"],
            "manage_escalations",
            {"action": "get", "escalation_id": out["escalation"]["id"]},
        )
    with pytest.raises(NotFound):
        call_tool(
            staff["csm2"],
            "manage_escalations",
            {"action": "create", "account_id": account.pk, "severity": "low", "summary": "Nope"},
        )
    with pytest.raises(InvalidInput):  # create needs account_id and summary
        call_tool(staff["csm1"], "manage_escalations", {"action": "create", "severity": "low"})
    with pytest.raises(InvalidInput) as err:  # resolved → acknowledged is not a transition
        for status in ("resolved", "acknowledged"):
            call_tool(
                staff["csm1"],
                "manage_escalations",
                {"action": "update", "escalation_id": out["escalation"]["id"], "status": status},
            )
    assert err.value.details["errors"][0]["field"] == "status"
    assert Escalation.objects.count() == 1


# --- analyze_churn_postmortem ----------------------------------------------------------
def test_postmortem_lists_signals_before_churn(staff):
    today = clock.today()
    churned_on = today - timedelta(days=10)
    lost = create_account(
        staff["csm1"],
        "Lost",
        status="churned",
        churned_on=churned_on,
        lifecycle_stage="churned",
        arr=Decimal("48000"),
    )
    create_usage_days(lost, [80] * 30 + [40] * 30, end=churned_on - timedelta(days=1))
    create_usage_days(lost, [1] * 5, end=today)  # after churn: ignored
    at = timezone.make_aware(datetime.combine(churned_on, datetime.min.time()))
    SupportTicket.objects.create(
        account=lost,
        subject="Broken",
        priority="urgent",
        opened_at=at - timedelta(days=20),
        sla_breached=True,
    )
    SupportTicket.objects.create(
        account=lost, subject="Ancient", priority="urgent", opened_at=at - timedelta(days=150)
    )
    create_survey_answer(lost, "nps", 2, days_ago=40)
    create_churn_prediction(lost, "0.5500", at=at - timedelta(days=30))
    create_churn_prediction(lost, "0.9000", at=at + timedelta(days=2))  # after churn: not "before"
    create_account(
        staff["csm1"], "Quiet loss", status="churned", churned_on=today - timedelta(days=100)
    )
    create_account(staff["csm1"], "Still here")
    create_account(staff["csm2"], "Their loss", status="churned", churned_on=churned_on)

    out = call_tool(staff["csm1"], "analyze_churn_postmortem", {})
    assert [a["name"] for a in out["accounts"]] == ["Lost", "Quiet loss"]
    row = out["accounts"][0]
    assert row["usage_trend_pct"] == -50.0 and row["avg_dau_before_churn"] == 40.0
    assert row["last_active_date"] == (churned_on - timedelta(days=1)).isoformat()
    assert (row["tickets_opened"], row["urgent_or_high_tickets"], row["sla_breached_tickets"]) == (
        1,
        1,
        1,
    )
    assert (row["nps_answers"], row["detractor_answers"]) == (1, 1)
    assert row["churn_probability_before"] == 0.55
    assert set(row["signals"]) == {
        "usage_decline",
        "urgent_tickets",
        "sla_breaches",
        "detractor",
        "predicted_high_risk",
    }
    assert row["missing"] == ["health"]
    blank = out["accounts"][1]
    assert blank["signals"] == [] and set(blank["missing"]) == {
        "usage_trend",
        "nps",
        "health",
        "churn_prediction",
    }
    s = out["summary"]
    assert s["churned_accounts"] == 2 and s["arr_lost"] == "68000.00"
    assert s["signal_counts"]["usage_decline"] == 1 and s["signal_counts"]["health_red"] == 0
    assert s["with_no_signal"] == 1
    assert ChurnPrediction.objects.count() == 2


def test_postmortem_filters_and_query_count(staff):
    today = clock.today()

    def lose(n, offset):
        for i in range(n):
            a = create_account(
                staff["csm1"],
                f"L{offset + i}",
                status="churned",
                churned_on=today - timedelta(days=5 + i),
            )
            create_usage_days(a, [10] * 70, end=today - timedelta(days=6 + i))
            create_health_score(a, 20, "red", as_of=clock.now() - timedelta(days=30))

    lose(2, 0)
    with CaptureQueriesContext(connection) as small:
        assert len(call_tool(staff["manager"], "analyze_churn_postmortem", {})["accounts"]) == 2
    lose(8, 10)
    with CaptureQueriesContext(connection) as large:
        out = call_tool(staff["manager"], "analyze_churn_postmortem", {"limit": 5})
    assert len(large) == len(small)
    assert out["summary"]["signal_counts"]["health_red"] == 10 and out["page"]["has_next"]
    recent = call_tool(
        staff["manager"],
        "analyze_churn_postmortem",
        {"since": (today - timedelta(days=6)).isoformat()},
    )
    assert recent["summary"]["churned_accounts"] == 4  # L0, L1, L10, L11


# --- automate_retention_campaigns ------------------------------------------------------
@pytest.mark.date_sensitive
def test_rule_triggered_campaign_enrolls_exits_and_is_idempotent(staff):
    declining = create_account(staff["csm1"], "Declining")
    create_usage_days(declining, [80] * 30 + [40] * 30)
    steady = create_account(staff["csm1"], "Steady")
    create_usage_days(steady, [50] * 60)
    create = {
        "action": "create",
        "name": "Usage rescue",
        "conditions": [{"field": "usage_trend_pct", "op": "lte", "value": -30}],
        "cta_title": "Usage rescue call",
        "cta_priority": "high",
        "due_in_days": 5,
    }
    with pytest.raises(PermissionDenied):
        call_tool(staff["csm1"], "automate_retention_campaigns", create)
    campaign_id = call_tool(staff["manager"], "automate_retention_campaigns", create)["campaign"][
        "id"
    ]
    dry = call_tool(
        staff["manager"],
        "automate_retention_campaigns",
        {"action": "run_now", "campaign_id": campaign_id, "dry_run": True},
    )
    assert dry["evaluation"]["enrolled_new"] == 1 and not CampaignEnrollment.objects.exists()

    result = retention_campaigns_evaluate_task()  # what the beat runs
    assert result == {"evaluated": 1, "failed": {}}
    enrollment = CampaignEnrollment.objects.get()
    assert enrollment.account == declining and enrollment.status == "active"
    cta = CTA.objects.get(reason="retention_campaign")
    assert cta.account == declining and cta.title == "Usage rescue call"
    assert cta.due_date == clock.today() + timedelta(days=5) and cta.details["trigger"] == "rules"

    again = call_tool(
        staff["manager"],
        "automate_retention_campaigns",
        {"action": "run_now", "campaign_id": campaign_id},
    )["evaluation"]
    assert (again["matched"], again["enrolled_new"], again["ctas_created"]) == (1, 0, 0)

    declining.usage_days.update(active_users=50, sessions=100)  # recovered
    recovered = call_tool(
        staff["manager"],
        "automate_retention_campaigns",
        {"action": "run_now", "campaign_id": campaign_id},
    )["evaluation"]
    assert (recovered["matched"], recovered["exited"]) == (0, 1)
    enrollment.refresh_from_db()
    assert enrollment.status == "exited" and enrollment.exited_at is not None
    listed = call_tool(staff["csm1"], "automate_retention_campaigns", {"action": "list"})
    assert listed["campaigns"][0]["active_enrollments_in_scope"] == 0
    paused = call_tool(
        staff["manager"],
        "automate_retention_campaigns",
        {"action": "update", "campaign_id": campaign_id, "status": "paused"},
    )
    assert paused["changed"] == [{"field": "status", "before": "active", "after": "paused"}]
    assert retention_campaigns_evaluate_task() == {"evaluated": 0, "failed": {}}
    assert steady.enrollments.count() == 0
