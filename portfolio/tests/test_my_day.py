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

pytestmark = pytest.mark.django_db

MY_DAY = "/admin/workspace/my-day/"


@pytest.mark.date_sensitive
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


@pytest.mark.date_sensitive
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


@pytest.mark.date_sensitive
def test_turned_red_kept_per_account_equals_the_snapshots(staff, portfolio):
    """The band pair kept by triggers (portfolio.HealthWeekChange) names the same accounts
    as comparing the snapshots, for the whole portfolio and one book, after a recompute
    and a direct edit of a latest band."""
    from datetime import timedelta

    from cs_platform.core import clock
    from customers.models import Account
    from health.models import HealthScore, LatestHealthScore
    from portfolio.selectors.my_day import turned_red_compared, turned_red_maintained
    from tests.builders import build_account

    since = clock.now() - timedelta(days=14)

    def both(accounts, one_book=False):
        return (
            turned_red_maintained(accounts, since=since, one_book=one_book),
            turned_red_compared(accounts, since=since),
        )

    more = [build_account(staff["csm2"], n, declining=True) for n in range(10, 13)]
    for account in (portfolio["declining"], *more):
        turn_red(account)
    everyone = Account.objects.filter(status="active")
    maintained, compared = both(everyone)
    assert maintained == compared and len(maintained) == 4
    book = everyone.filter(owner=staff["csm2"])
    assert both(book, one_book=True)[0] == both(book)[1] and len(both(book)[1]) == 3
    # An edit of one latest band back to yellow: no longer turned red.
    snapshot_id = LatestHealthScore.objects.get(account=more[0]).snapshot_id
    HealthScore.objects.filter(pk=snapshot_id).update(band="yellow")
    maintained, compared = both(everyone)
    assert maintained == compared and snapshot_id not in maintained
