"""The dashboard from Redis: a repeat render is served from the cache, no committed write
to anything it shows is hidden by an entry filled before it, a transaction's own
uncommitted writes skip the cache, and a Redis outage renders from the database.

These tests commit (transaction=True): the version moves as a writer commits, which a
test wrapped in one rolled-back transaction never does."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from customers.models import CTA, Account, Renewal
from health.models import HealthScore, Survey, SurveyResponse
from integrations.models import Connection, SyncRun
from portfolio.tests.histories import score_history, sign_in
from tests.builders import call_tool

pytestmark = pytest.mark.django_db(transaction=True)


def _render(client, query: str = "") -> tuple[object, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/" + query)
    assert response.status_code == 200
    return response.context["board"], len(ctx.captured_queries)


def _shown(board) -> tuple:
    """What the page shows, comparable across renders (accounts by name)."""
    return (
        board.accounts_total,
        board.arr_total,
        board.bands,
        board.renewal_windows,
        [(r.account.name, r.band, r.score, r.renewal_date) for r in board.renewals_at_risk],
        [(a.name, c.score, c.delta) for a, c in board.health_drops],
        board.ctas_by_owner,
        board.satisfaction,
        [(c["name"], c["last_run"] and c["last_run"]["status"]) for c in board.connections],
        [o.username for o in board.owners],
    )


def _fresh(client, settings, query: str = "") -> tuple:
    seconds, settings.DASHBOARD_CACHE_SECONDS = settings.DASHBOARD_CACHE_SECONDS, 0
    try:
        return _shown(_render(client, query)[0])
    finally:
        settings.DASHBOARD_CACHE_SECONDS = seconds


@pytest.fixture
def board_client(client, staff, portfolio):
    score_history(*portfolio.values())
    sign_in(client, staff["manager"])
    return client


@pytest.mark.date_sensitive
def test_a_repeat_render_comes_from_the_cache(board_client, settings):
    first, cold = _render(board_client)
    second, warm = _render(board_client)
    assert _shown(second) == _shown(first) == _fresh(board_client, settings)
    # The sections' ~20 queries are gone; session, user and version reads remain.
    assert warm <= cold - 12


def _cta(portfolio, staff):
    CTA.objects.create(
        account=portfolio["declining"], reason="manual", title="Call the champion",
        source="manual", owner=staff["csm1"], due_date=clock.today() - timedelta(days=2),
    )  # fmt: skip


def _churned(portfolio, staff):
    Account.objects.filter(pk=portfolio["healthy"].pk).update(
        status="churned", churned_on=clock.today()
    )


def _arr_refreshed(portfolio, staff):
    # A set-based UPDATE, as rate refreshes write: no service, no signal.
    Account.objects.filter(pk=portfolio["healthy"].pk).update(
        arr_reporting=F("arr_reporting") + Decimal("1000")
    )


def _turned_red(portfolio, staff):
    HealthScore.objects.filter(latest_of__account=portfolio["healthy"]).update(
        band="red", score=Decimal("12")
    )


def _survey_answer(portfolio, staff):
    SurveyResponse.objects.create(
        survey=Survey.objects.get(key="nps"), kind="nps", account=portfolio["healthy"],
        score=0, responded_at=clock.now() - timedelta(minutes=5),
    )  # fmt: skip


def _renewal_moved(portfolio, staff):
    Renewal.objects.filter(account=portfolio["healthy"]).update(
        renewal_date=clock.today() + timedelta(days=9)
    )


def _sync_failed(portfolio, staff):
    desk = Connection.objects.create(provider="zendesk", name="Desk", base_url="https://d.test")
    SyncRun.objects.create(
        connection=desk, stream="tickets", status="failed",
        started_at=clock.now() - timedelta(hours=1), error_code="upstream_unauthorized",
    )  # fmt: skip


def _registered_by_tool(portfolio, staff):
    call_tool(
        staff["manager"], "register_client",
        {"name": "Northwind Logistics", "domain": "northwind.example", "tier": "mid_market",
         "seats_licensed": 120, "arr": 48000, "currency": "USD",
         "contract_start": str(clock.today() - timedelta(days=30)),
         "contract_end": str(clock.today() + timedelta(days=335)),
         "contact_email": "ana.silva@northwind.example"},
    )  # fmt: skip


def _owner_renamed(portfolio, staff):
    user = staff["csm2"]
    user.first_name = "Renamed"
    user.save(update_fields=["first_name"])


WRITES = [
    _cta, _churned, _arr_refreshed, _turned_red, _survey_answer, _renewal_moved,
    _sync_failed, _registered_by_tool, _owner_renamed,
]  # fmt: skip


@pytest.mark.date_sensitive
@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_no_write_is_hidden_by_an_entry_filled_before_it(
    board_client, portfolio, staff, settings, write
):
    before, _ = _render(board_client)
    again, _ = _render(board_client)
    assert _shown(again) == _shown(before)  # the entry is there
    write(portfolio, staff)
    after, _ = _render(board_client)
    fresh = _fresh(board_client, settings)
    assert fresh != _shown(before), "the write must change what the dashboard shows"
    assert _shown(after) == fresh


@pytest.mark.date_sensitive
def test_a_book_filtered_by_owner_has_its_own_entry(board_client, staff, settings):
    everyone, _ = _render(board_client)
    one, _ = _render(board_client, f"?owner={staff['csm2'].pk}")
    assert one.accounts_total == 1 and everyone.accounts_total == 3
    assert _shown(one) == _fresh(board_client, settings, f"?owner={staff['csm2'].pk}")


@pytest.mark.date_sensitive
def test_uncommitted_writes_of_the_reader_skip_the_cache(board_client, portfolio, settings):
    _render(board_client)
    with transaction.atomic():
        Account.objects.filter(pk=portfolio["healthy"].pk).update(
            status="churned", churned_on=clock.today()
        )
        inside, _ = _render(board_client)
        assert inside.accounts_total == 2  # its own write, not the entry
        transaction.set_rollback(True)
    assert _render(board_client)[0].accounts_total == 3


@pytest.mark.date_sensitive
def test_a_redis_outage_renders_from_the_database(board_client, settings):
    expected = _fresh(board_client, settings)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": True,
            },  # fmt: skip
        }
    }
    for _ in range(2):
        board, queries = _render(board_client)
        assert _shown(board) == expected and queries > 12
