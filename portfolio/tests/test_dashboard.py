"""The home dashboard (the admin index for CS staff): each section from real rows, a CSM's
book only, a manager's owner filter, and a query count that does not grow with accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from customers.models import CTA
from integrations.models import Connection, SyncRun
from portfolio.tests.histories import score_history, sign_in
from tests.builders import build_account

pytestmark = pytest.mark.django_db


def dashboard(client, user, query: str = ""):
    sign_in(client, user)
    response = client.get("/admin/" + query)
    assert response.status_code == 200
    return response


@pytest.mark.date_sensitive
def test_dashboard_is_the_admin_index_with_every_section(client, staff, portfolio):
    score_history(*portfolio.values())
    declining = portfolio["declining"]
    CTA.objects.create(
        account=declining,
        reason="manual",
        title="Call the champion",
        source="manual",
        owner=staff["csm1"],
        due_date=clock.today() - timedelta(days=2),
    )
    desk = Connection.objects.create(
        provider="zendesk", name="Main desk", base_url="https://d.test"
    )
    SyncRun.objects.create(
        connection=desk,
        stream="tickets",
        status="failed",
        started_at=clock.now() - timedelta(hours=2),
        error_code="upstream_unauthorized",
        error_message="Zendesk refused the API token",
    )
    response = dashboard(client, staff["csm1"])
    board = response.context["board"]
    html = response.content.decode()

    assert board.accounts_total == 2
    bands = {b.band: b for b in board.bands}
    assert bands["green"].accounts == 1 and bands["yellow"].accounts == 1
    assert bands["yellow"].arr == declining.arr_reporting
    assert 0 < bands["yellow"].coverage_avg <= 1
    # Both renew in 65 days: outside 30 and 60, inside 90; the yellow one's ARR is at risk.
    windows = {w["days"]: w for w in board.renewal_windows}
    assert windows[30]["accounts"] == 0 and windows[60]["accounts"] == 0
    assert windows[90]["accounts"] == 2
    assert windows[90]["arr_at_risk"] == declining.arr_reporting
    # The question the dashboard answers: who renews within 90 days in a bad band, and why.
    [risk] = board.renewals_at_risk
    assert risk.account == declining and risk.band == "yellow" and risk.days == 65
    assert risk.change.reason.startswith("Active user share fell from 80% to 40%")
    assert risk.change.reason in html
    # This week's biggest fall, with explain_change's one-line reason.
    [(account, change)] = board.health_drops
    assert account == declining and change.delta < -30
    # 40 days back payment status and seats have no history: the older snapshot rests on
    # less than 60 % of the weight, so its band is insufficient_data, not green.
    assert change.previous_band == "insufficient_data" and change.band == "yellow"
    assert "Fixture 002" in html and "$120,000" in html
    [ctas] = board.ctas_by_owner
    assert ctas["owner"] == "Grace Hopper" and ctas["open"] == 1 and ctas["overdue"] == 1
    assert [m["nps"] for m in board.satisfaction if m["nps"] is not None]
    [conn] = board.connections
    assert conn["last_error"]["error_code"] == "upstream_unauthorized"
    assert "Zendesk refused the API token" in html
    assert html.count('class="cs-chart ') == 4
    # The stock list of models stays reachable from the index.
    assert 'href="/admin/customers/account/"' in html


@pytest.mark.date_sensitive
def test_a_csm_sees_only_their_book_even_when_asking_for_another(client, staff, portfolio):
    score_history(*portfolio.values())
    other = portfolio["other_csm"].name
    mine = dashboard(client, staff["csm1"]).content.decode()
    assert "Fixture 002" in mine and other not in mine
    asked = dashboard(client, staff["csm1"], f"?owner={staff['csm2'].pk}")
    assert asked.context["board"].accounts_total == 2
    assert other not in asked.content.decode()
    assert 'id="owner-filter"' not in mine


@pytest.mark.date_sensitive
def test_a_manager_sees_every_book_and_filters_by_owner(client, staff, portfolio):
    score_history(*portfolio.values())
    everyone = dashboard(client, staff["manager"])
    assert everyone.context["board"].accounts_total == 3
    names = {r.account.name for r in everyone.context["board"].renewals_at_risk}
    assert names == {"Fixture 002", "Fixture 003"}
    one = dashboard(client, staff["manager"], f"?owner={staff['csm2'].pk}")
    board = one.context["board"]
    assert board.accounts_total == 1 and board.owner == staff["csm2"]
    assert {r.account.name for r in board.renewals_at_risk} == {"Fixture 003"}
    assert "Fixture 002" not in one.content.decode()
    junk = dashboard(client, staff["manager"], "?owner=%00x")  # ignored, not a 500
    assert junk.context["board"].accounts_total == 3


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.date_sensitive
def test_dashboard_queries_do_not_grow_with_accounts(client, staff, portfolio):
    score_history(*portfolio.values())
    sign_in(client, staff["manager"])
    client.get("/admin/")  # warm per-process caches (content types, templates)
    small = count_queries(client)
    more = [build_account(staff["csm2"], n, declining=n % 2 == 0) for n in range(10, 22)]
    score_history(*more)
    large = count_queries(client)
    assert large == small
    assert small <= 30


@pytest.mark.date_sensitive
def test_manager_triggers_a_sync_and_follows_it_to_the_end(
    client, staff, zendesk_connection, django_capture_on_commit_callbacks
):
    sign_in(client, staff["manager"])
    board = client.get("/admin/").content.decode()
    assert f'action="/admin/workspace/sync/{zendesk_connection.pk}/"' in board
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/workspace/sync/{zendesk_connection.pk}/")
    run = SyncRun.objects.get(connection=zendesk_connection)
    assert response.status_code == 302 and response.url == f"/admin/workspace/sync-runs/{run.pk}/"
    page = client.get(response.url)
    assert page.context["finished"], page.context["run"]
    html = page.content.decode()
    assert f'id="run-status">{run.status}<' in html and 'http-equiv="refresh"' not in html


@pytest.mark.date_sensitive
def test_a_csm_may_not_trigger_a_sync_and_is_told_why(client, staff, zendesk_connection):
    sign_in(client, staff["csm1"])
    assert "Sync now" not in client.get("/admin/").content.decode()
    response = client.post(f"/admin/workspace/sync/{zendesk_connection.pk}/", follow=True)
    assert response.status_code == 200
    assert not SyncRun.objects.exists()
    assert "Only CS managers may trigger provider syncs" in response.content.decode()


@pytest.mark.date_sensitive
def test_maintained_weekly_falls_equal_the_falls_compared_from_snapshots(staff, portfolio):
    """The week's falls read from `HealthWeekChange` (kept by triggers) are the ones the
    snapshots give, after a recompute, a back-filled older snapshot and a direct edit."""
    from customers.models import Account
    from health.models import HealthScore
    from portfolio.selectors.health_changes import _drops_compared, health_drops_latest

    def both() -> tuple[list[int], list[int]]:
        accounts = Account.objects.all()
        sql, params = accounts.order_by().values("pk").query.sql_with_params()
        compared = _drops_compared(sql, params, moment=clock.now(), days=7, limit=10)
        return health_drops_latest(accounts, days=7, limit=10), compared

    more = [build_account(staff["csm2"], n, declining=n % 2 == 0) for n in range(10, 14)]
    score_history(*portfolio.values(), *more)
    maintained, compared = both()
    assert maintained == compared and len(maintained) >= 2
    # A snapshot back-filled 8 days ago with a low score turns a fall into a rise.
    fallen = HealthScore.objects.get(pk=maintained[0])
    HealthScore.objects.create(
        account_id=fallen.account_id, scorecard=fallen.scorecard, score=1, band="red",
        coverage=fallen.coverage, confidence=fallen.confidence,
        as_of=fallen.as_of - timedelta(days=8), computed_at=clock.now(),
        inputs={}, result={},
    )  # fmt: skip
    maintained, compared = both()
    assert maintained == compared and fallen.pk not in maintained
    # An edit of a latest score (an override writes so) moves it.
    HealthScore.objects.filter(pk=maintained[-1]).update(score=0)
    maintained, compared = both()
    assert maintained == compared


@pytest.mark.date_sensitive  # months: calendar truncation of the answers' dates
def test_satisfaction_counts_kept_per_owner_equal_the_answers(staff, portfolio):
    """NPS/CSAT per month from the trigger-kept counts (portfolio.SatisfactionMonth) equal
    the answers aggregated directly, per book, after answers are added, edited and
    deleted and after an account changes owner and status."""
    from customers.models import Account
    from health.models import Survey, SurveyResponse
    from health.selectors.satisfaction import satisfaction_monthly, survey_responses_in_window
    from portfolio.selectors.dashboard import satisfaction_trend

    now = clock.now()
    since = (now - timedelta(days=31 * 6)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def strip(rows):
        return [{k: v for k, v in r.items() if k != "last_response_at"} for r in rows]

    def check():
        for owner in (None, staff["csm1"].pk, staff["csm2"].pk):
            accounts = Account.objects.filter(status="active")
            if owner is not None:
                accounts = accounts.filter(owner_id=owner)
            direct = satisfaction_monthly(
                survey_responses_in_window(
                    accounts,
                    since=since.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
                    until=now,
                )
            )
            kept = satisfaction_trend(accounts, now=now, owner_id=owner)
            assert strip(kept) == strip(direct), owner

    check()
    nps = Survey.objects.get(key="nps")
    answer = SurveyResponse.objects.create(
        survey=nps, kind="nps", account=portfolio["healthy"], score=3,
        responded_at=now - timedelta(days=40),
    )  # fmt: skip
    check()
    SurveyResponse.objects.filter(pk=answer.pk).update(score=10)
    check()
    SurveyResponse.objects.filter(account=portfolio["declining"]).first().delete()
    check()
    Account.objects.filter(pk=portfolio["healthy"].pk).update(owner=staff["csm2"])
    check()
    Account.objects.filter(pk=portfolio["other_csm"].pk).update(
        status="churned", churned_on=clock.today()
    )
    check()
