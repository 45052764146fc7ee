"""get_client_overview from Redis: a repeat read is served from the cache, no kind of
write is ever hidden by an entry filled before it, and a Redis outage reads the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from customers.models import CTA, Account, Contract, Renewal
from health.models import Survey, SurveyResponse, UsageDaily
from health.services.scoring.recompute import health_recompute_accounts
from integrations.models import SupportTicket
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def _overview(user, account_id: int) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as ctx:
        answer = call_tool(user, "get_client_overview", {"account_id": account_id})
    return answer, len(ctx.captured_queries)


def _fresh(user, account_id: int, settings) -> dict:
    """The answer computed from the database, the cache switched off."""
    seconds, settings.OVERVIEW_CACHE_SECONDS = settings.OVERVIEW_CACHE_SECONDS, 0
    try:
        return call_tool(user, "get_client_overview", {"account_id": account_id})
    finally:
        settings.OVERVIEW_CACHE_SECONDS = seconds


def _same(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "as_of"} == {
        k: v for k, v in b.items() if k != "as_of"
    }


def test_a_repeat_read_comes_from_the_cache(portfolio, staff):
    account = portfolio["declining"]
    first, cold = _overview(staff["csm1"], account.pk)
    second, warm = _overview(staff["csm1"], account.pk)
    assert second == first  # as_of included: the time the entry was filled
    assert warm <= 2 < cold  # the scoped account read and its version, nothing else


def _new_ticket(account):
    SupportTicket.objects.create(
        account=account, subject="Broken export", priority="urgent", status="open",
        opened_at=clock.now() - timedelta(hours=2),
    )  # fmt: skip


def _usage_day(account):
    UsageDaily.objects.filter(account=account, date=clock.today()).delete()
    UsageDaily.objects.bulk_create(
        [
            UsageDaily(
                account=account,
                date=clock.today(),
                active_users=999,
                sessions=999,
                events=999,
                minutes=999,
            )
        ]  # fmt: skip
    )


def _survey_answer(account):
    survey = Survey.objects.get(key="nps")
    SurveyResponse.objects.create(
        survey=survey, kind="nps", account=account, score=10, responded_at=clock.now()
    )


def _cta(account):
    CTA.objects.create(account=account, reason="risk", title="Call the sponsor")


def _renewal_moved(account):
    Renewal.objects.filter(account=account).update(renewal_date=clock.today() + timedelta(9))


def _contract_ended(account):
    Contract.objects.filter(account=account).update(status="expired")


def _rescored(account):
    health_recompute_accounts(account_ids=[account.pk], as_of=clock.now())


def _tool_update(account):
    from customers.models import Account as Model

    owner = Model.objects.get(pk=account.pk).owner
    call_tool(owner, "update_client_info", {"account_id": account.pk, "region": "APAC"})


def _bulk_update(account):
    # A set-based UPDATE, as imports and rate refreshes write: no service, no signal.
    Account.objects.filter(pk=account.pk).update(seats_licensed=F("seats_licensed") + 5)


WRITES = [
    _new_ticket, _usage_day, _survey_answer, _cta, _renewal_moved, _contract_ended,
    _rescored, _tool_update, _bulk_update,
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_no_write_is_hidden_by_an_entry_filled_before_it(portfolio, staff, settings, write):
    account = portfolio["declining"]
    user = staff["csm1"]
    before, _ = _overview(user, account.pk)
    assert _overview(user, account.pk)[0] == before  # the entry is there
    write(account)
    after, _ = _overview(user, account.pk)
    fresh = _fresh(user, account.pk, settings)
    assert not _same(fresh, before), "the write must change what the overview shows"
    assert _same(after, fresh)


def test_a_redis_outage_reads_the_database(portfolio, staff, settings):
    account = portfolio["healthy"]
    expected = _fresh(staff["csm1"], account.pk, settings)
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
        answer, queries = _overview(staff["csm1"], account.pk)
        assert _same(answer, expected) and queries > 2
