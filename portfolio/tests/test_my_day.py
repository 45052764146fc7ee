"""'My day': a CSM's open CTAs (overdue first, then due date and priority), renewals in
the next 90 days and accounts that turned red with why; every item opens the 360."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from customers.models import CTA
from portfolio.tests.histories import sign_in, turn_red
from tests.builders import build_account

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

MY_DAY = "/admin/workspace/my-day/"


def test_my_day_lists_what_to_act_on(client, staff, portfolio):
    csm = staff["csm1"]
    declining = portfolio["declining"]
    turn_red(declining)
    today = clock.today()
    for title, due, priority in [
        ("Later, urgent", today + timedelta(days=5), "urgent"),
        ("Overdue, low", today - timedelta(days=1), "low"),
        ("Today, high", today, "high"),
        ("No date", None, "medium"),
    ]:
        CTA.objects.create(
            account=declining if "urgent" in title else portfolio["healthy"],
            reason={"urgent": "churn_risk", "low": "manual", "high": "renewal"}.get(
                priority, "usage_drop"
            ),
            title=title,
            priority=priority,
            due_date=due,
            owner=csm,
            source="manual",
        )
    CTA.objects.create(
        account=portfolio["other_csm"], reason="manual", title="Not mine", owner=staff["csm2"]
    )
    sign_in(client, csm)
    response = client.get(MY_DAY)
    assert response.status_code == 200
    day = response.context["day"]
    assert [c.title for c in day.ctas] == [
        "Overdue, low",
        "Today, high",
        "Later, urgent",
        "No date",
    ]
    assert day.overdue == 1
    assert [a.name for a in day.renewals] == ["Fixture 001", "Fixture 002"]
    [(account, change)] = day.turned_red
    assert account == declining and change.band == "red" and change.previous_band != "red"
    html = response.content.decode()
    assert change.reason in html
    assert "Not mine" not in html and "Fixture 003" not in html
    assert f'href="/admin/customers/account/{declining.pk}/change/#health-why"' in html
    # The dashboard links here.
    assert f'href="{MY_DAY}"' in client.get("/admin/").content.decode()


def test_my_day_queries_are_fixed(client, staff, portfolio):
    sign_in(client, staff["csm1"])
    client.get(MY_DAY)
    with CaptureQueriesContext(connection) as small:
        client.get(MY_DAY)
    for n in range(10, 16):
        account = build_account(staff["csm1"], n, declining=True, days=10)
        CTA.objects.create(account=account, reason="manual", title=f"CTA {n}", owner=staff["csm1"])
        turn_red(account)
    with CaptureQueriesContext(connection) as large:
        client.get(MY_DAY)
    assert len(large.captured_queries) == len(small.captured_queries)
