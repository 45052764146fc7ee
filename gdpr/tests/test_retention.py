"""Retention policies: a dry run reports, a run deletes or anonymises what is too old."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command

from audit.models import AuditEvent
from cs_platform.core import clock
from customers.models import Activity
from gdpr.models import RetentionPolicy
from gdpr.services.retention import retention_apply
from gdpr.tasks import retention_apply_task
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def test_dry_run_reports_then_the_task_anonymises_and_deletes(staff):
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

    report = retention_apply(dry_run=True)
    assert report["policies"]["activities"]["rows"] == 1
    assert report["policies"]["admin_log"]["rows"] == 1
    assert report["unknown_categories"] == ["nonsense"]
    old.refresh_from_db()
    assert old.body == "Ann said yes" and LogEntry.objects.filter(pk=stale_log.pk).exists()
    call_command("gdpr_retention", "--dry-run")
    assert not AuditEvent.objects.filter(action="retention.apply").exists()

    report = retention_apply_task.delay().get()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.subject, old.body, old.attendees, old.outcomes) == ("", "", [], [])
    assert new.body == "Recent"
    assert not LogEntry.objects.filter(pk=stale_log.pk).exists()
    assert RetentionPolicy.objects.get(data_category="activities").last_applied_at is not None
    assert (
        AuditEvent.objects.get(action="retention.apply").changes["policies"]["activities"]["rows"]
        == 1
    )
    # Done is done: the next run finds nothing left to change.
    again = retention_apply()
    assert again["policies"]["activities"]["rows"] == 0
    assert again["policies"]["admin_log"]["rows"] == 0
