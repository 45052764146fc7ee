"""The expansion, renewal, revenue and program reads cost the same number of queries for
three accounts as for twelve."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from customers.models import Contact, Program, ProgramContribution, ProgramMember, Renewal
from health.tests.builders import create_account, create_health_score, create_usage_days
from health.tests.fixtures import create_contract
from tests.builders import call_tool

pytestmark = pytest.mark.django_db

CALLS = [
    ("identify_expansion_opportunities", {"dry_run": True}),
    ("track_renewals", {}),
    ("forecast_renewals", {}),
    ("negotiate_renewals", {"action": "list"}),
    ("track_revenue_expansion", {}),
    ("optimize_customer_lifetime_value", {}),
    ("manage_advocacy_program", {"action": "leaderboard", "program_key": "champions"}),
    ("conduct_executive_review", {"action": "list"}),
    ("get_autonomous_status", {}),
]


def _book(owner, n: int, offset: int) -> None:
    program = Program.objects.get_or_create(key="champions", name="Champions", kind="advocacy")[0]
    for i in range(n):
        a = create_account(owner, f"Acct {offset + i}", seats_licensed=10, arr=Decimal("9000"))
        create_usage_days(a, [10] * 30)
        create_health_score(a, 80, "green")
        create_contract(a, "", "9000.00", days_ago=400, days_left=30)
        create_contract(a, "analytics" if i % 2 else "sso", "1000.00")
        Renewal.objects.create(
            account=a,
            renewal_date=clock.today() + timedelta(days=30),
            current_arr=Decimal("9000"),
            stage="in_negotiation",
        )
        contact = Contact.objects.create(account=a, email=f"c{offset + i}@x.test")
        member = ProgramMember.objects.create(
            program=program, contact=contact, joined_at=clock.now()
        )
        ProgramContribution.objects.create(
            member=member, kind="review", points=30, occurred_at=clock.now()
        )
        call_tool(
            owner,
            "conduct_executive_review",
            {
                "action": "schedule",
                "account_id": a.pk,
                "title": "EBR",
                "scheduled_for": clock.now().isoformat(),
                "attendee_contact_ids": [contact.pk],
            },
        )


@pytest.mark.date_sensitive
@pytest.mark.parametrize(("name", "payload"), CALLS, ids=[c[0] for c in CALLS])
def test_queries_do_not_grow_with_accounts(staff, name, payload):
    _book(staff["csm1"], 3, 0)
    call_tool(staff["csm1"], name, payload)  # warm: config rows, content types
    with CaptureQueriesContext(connection) as small:
        call_tool(staff["csm1"], name, payload)
    _book(staff["csm1"], 9, 100)
    with CaptureQueriesContext(connection) as large:
        call_tool(staff["csm1"], name, payload)
    assert len(large) == len(small), name
