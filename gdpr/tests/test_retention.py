"""Retention, dry run first: the daily task records a report of what the policies would
delete or anonymise, and applies a report only once it is older than the grace period (or
when a manager confirms it); nothing is changed that no report announced."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import Conflict
from customers.models import Activity
from gdpr.models import RetentionPolicy, RetentionRun
from gdpr.services.retention import retention_plan, retention_report, retention_run_apply
from gdpr.tasks import retention_apply_task
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(staff):
    now = clock.now()
    account = AccountFactory()
    old = Activity.objects.create(
        account=account, kind="call", occurred_at=now - timedelta(days=100),
        subject="Call with Ann", body="Ann said yes", attendees=["ann@x.test"],
    )  # fmt: skip
    new = Activity.objects.create(
        account=account, kind="call", occurred_at=now - timedelta(days=5), subject="Call",
        body="Recent",
    )  # fmt: skip
    stale_log = LogEntry.objects.create(user_id=staff["manager"].pk, action_flag=CHANGE,
                                        object_repr="contact #1", change_message="[]")  # fmt: skip
    LogEntry.objects.filter(pk=stale_log.pk).update(action_time=now - timedelta(days=400))
    RetentionPolicy.objects.create(data_category="activities", retain_days=30, action="anonymise")
    RetentionPolicy.objects.create(data_category="admin_log", retain_days=365, action="delete")
    RetentionPolicy.objects.create(data_category="nonsense", retain_days=1, action="delete")
    return {"old": old, "new": new, "log": stale_log}


def _untouched(aged) -> bool:
    aged["old"].refresh_from_db()
    return (
        aged["old"].body == "Ann said yes" and LogEntry.objects.filter(pk=aged["log"].pk).exists()
    )


def test_the_task_plans_a_report_and_applies_it_only_after_the_grace_period(aged, travel, settings):
    settings.GDPR_RETENTION_GRACE_DAYS = 7
    first = retention_apply_task.delay().get()
    run = RetentionRun.objects.get(pk=first["planned"])
    assert run.status == "planned" and "applied" not in first
    assert run.report["policies"]["activities"]["rows"] == 1
    assert run.report["policies"]["admin_log"]["rows"] == 1
    assert run.report["unknown_categories"] == ["nonsense"]
    assert run.apply_after == run.planned_at + timedelta(days=7)
    assert _untouched(aged)
    assert AuditEvent.objects.filter(action="retention.plan").count() == 1

    # Within the grace period the daily run waits (and plans nothing new).
    travel(run.planned_at + timedelta(days=6))
    assert retention_apply_task.delay().get() == {
        "waiting": run.pk, "apply_after": run.apply_after.isoformat(),
    }  # fmt: skip
    assert _untouched(aged) and RetentionRun.objects.count() == 1

    travel(run.planned_at + timedelta(days=7, hours=1))
    done = retention_apply_task.delay().get()
    assert done["applied"] == run.pk
    old, new = aged["old"], aged["new"]
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.subject, old.body, old.attendees, old.outcomes) == ("", "", [], [])
    assert new.body == "Recent"
    assert not LogEntry.objects.filter(pk=aged["log"].pk).exists()
    run.refresh_from_db()
    assert run.status == "applied" and run.confirmed_by is None
    assert run.applied["activities"] == {"action": "anonymise", "rows": 1}
    assert RetentionPolicy.objects.get(data_category="activities").last_applied_at is not None
    event = AuditEvent.objects.get(action="retention.apply")
    assert event.changes["applied"]["admin_log"]["rows"] == 1 and event.changes["early"] is False
    # The next report is planned at once; done is done, it finds nothing left.
    following = RetentionRun.objects.get(pk=done["planned"])
    assert following.status == "planned"
    assert following.report["policies"]["activities"]["rows"] == 0


def test_rows_that_aged_after_the_report_wait_for_the_next_one(aged, travel):
    run = retention_plan()
    later = Activity.objects.create(
        account=aged["new"].account, kind="call", body="Aged later",
        occurred_at=clock.now() - timedelta(days=29),
    )  # fmt: skip
    travel(run.apply_after + timedelta(minutes=1))  # now `later` is older than 30 days
    retention_run_apply(run_id=run.pk)
    later.refresh_from_db()
    assert later.body == "Aged later"  # the report's cutoff, not today's
    assert RetentionRun.objects.get(pk=run.pk).applied["activities"]["rows"] == 1


def test_a_policy_changed_since_the_report_is_skipped(aged, travel):
    run = retention_plan()
    RetentionPolicy.objects.filter(data_category="admin_log").update(retain_days=800)
    travel(run.apply_after + timedelta(minutes=1))
    retention_run_apply(run_id=run.pk)
    run.refresh_from_db()
    assert run.applied["admin_log"] == {"skipped": "the policy changed since the report"}
    assert LogEntry.objects.filter(pk=aged["log"].pk).exists()


def test_the_task_cannot_apply_early_but_a_confirmation_can(aged, staff):
    run = retention_plan()
    with pytest.raises(Conflict, match="grace period"):
        retention_run_apply(run_id=run.pk)
    with pytest.raises(Conflict, match="pending"):
        retention_plan()
    with pytest.raises(CommandError, match="needs --as"):
        call_command("gdpr_retention", "--confirm", str(run.pk))
    call_command("gdpr_retention", "--confirm", str(run.pk), "--as", staff["manager"].username)
    run.refresh_from_db()
    assert run.status == "applied" and run.confirmed_by == staff["manager"]
    assert AuditEvent.objects.get(action="retention.apply").changes["early"] is True
    assert not LogEntry.objects.filter(pk=aged["log"].pk).exists()
    with pytest.raises(CommandError, match="already applied"):
        call_command("gdpr_retention", "--confirm", str(run.pk), "--as", staff["manager"].username)


def test_the_command_shows_the_pending_report_and_the_dry_run_writes_nothing(aged, capsys):
    call_command("gdpr_retention")
    assert "no retention report yet" in capsys.readouterr().out
    call_command("gdpr_retention", "--dry-run")
    counted = json.loads(capsys.readouterr().out)
    assert counted["policies"]["activities"]["rows"] == 1
    assert not RetentionRun.objects.exists() and _untouched(aged)
    assert {k: v["rows"] for k, v in counted["policies"].items()} == {
        k: v["rows"] for k, v in retention_report()["policies"].items()
    }

    call_command("gdpr_retention", "--plan")
    capsys.readouterr()
    call_command("gdpr_retention")
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "planned" and shown["due"] is False
    assert shown["would_change"]["policies"]["admin_log"]["rows"] == 1
    assert _untouched(aged)
