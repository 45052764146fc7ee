"""The support, feedback and onboarding tools answer in a number of queries that does not
grow with the rows they read (plans, tickets, insights, sessions, certifications)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from customers.models import (
    Account,
    Contact,
    OnboardingMilestone,
    OnboardingPlan,
    TrainingAttendance,
    TrainingCompletion,
    TrainingModule,
    TrainingSession,
)
from health.models import Feedback, ProductInsight
from integrations.models import SupportTicket, TicketRoutingRule
from tests.builders import call_tool

pytestmark = pytest.mark.django_db

CALLS = [
    ("route_tickets", {"action": "dry_run"}),
    ("analyze_support_performance", {}),
    ("collect_feedback", {"action": "list"}),
    ("analyze_feedback_sentiment", {}),
    ("manage_voice_of_customer", {"action": "summary"}),
    ("share_product_insights", {"action": "list"}),
    ("track_cs_metrics", {}),
    ("track_onboarding_progress", {"status": "all"}),
    ("optimize_onboarding_process", {}),
    ("optimize_time_to_value", {}),
    ("deliver_training_session", {"action": "list"}),
    ("manage_certification_program", {"action": "list"}),
]


def _rows(owner, module, start: int, n: int) -> None:
    now, today = clock.now(), clock.today()
    for i in range(start, start + n):
        a = Account.objects.create(name=f"Q{i}", domain=f"q{i}.test", owner=owner, tier="smb")
        c = Contact.objects.create(account=a, email=f"c@q{i}.test", is_primary=True)
        SupportTicket.objects.create(
            account=a,
            subject="s",
            priority="urgent",
            status="open",
            opened_at=now - timedelta(hours=3),
        )
        f = Feedback.objects.create(
            account=a, kind="bug", text="Exports are broken.", tags=["exports"], created_at=now
        )
        ProductInsight.objects.create(
            title="t", summary="s", shared_with="x", created_by=owner
        ).feedback.set([f])
        plan = OnboardingPlan.objects.create(
            account=a,
            template="t",
            status="in_progress",
            started_on=today - timedelta(days=10),
            target_ttv_days=30,
            owner=owner,
        )
        prev = None
        for k in range(3):
            m = OnboardingMilestone.objects.create(
                plan=plan, key=f"m{k}", name="m", position=k, due_date=today, owner=owner
            )
            if prev:
                m.depends_on.set([prev])
            prev = m
        s = TrainingSession.objects.create(
            module=module, account=a, scheduled_at=now, trainer=owner
        )
        TrainingAttendance.objects.create(session=s, contact=c, status="attended")
        TrainingCompletion.objects.create(
            module=module, contact=c, completed_at=now, certified=True
        )


@pytest.mark.date_sensitive
@pytest.mark.parametrize(("name", "payload"), CALLS, ids=[c[0] for c in CALLS])
def test_queries_do_not_grow_with_rows(staff, name, payload):
    owner = staff["csm1"]
    module = TrainingModule.objects.create(key="cert", title="Cert", grants_certification=True)
    TicketRoutingRule.objects.create(name="All", agents=["ana", "bo"])
    _rows(owner, module, 0, 2)
    call_tool(owner, name, payload)  # warm caches (content types, settings rows)
    with CaptureQueriesContext(connection) as small:
        call_tool(owner, name, payload)
    _rows(owner, module, 2, 5)
    with CaptureQueriesContext(connection) as large:
        call_tool(owner, name, payload)
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
