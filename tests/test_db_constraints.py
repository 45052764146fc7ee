"""The database itself rejects invalid rows, whatever path wrote them.

Rows go in through `objects.create`, `bulk_create` and raw SQL, none of which runs
Django's model validation, so only the schema's CHECK and UNIQUE constraints stand in the
way. Each violation runs in its own `transaction.atomic()` so the test can continue, and
asserts the constraint's name so a different failure (a NOT NULL, a typo) cannot pass.
Next to each rejected row, the nearest valid row is accepted: the boundary is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from cs_platform.core import clock
from customers.models import CTA, Account, Contract, Renewal
from health.models import HealthScore, Scorecard, Survey, SurveyResponse, UsageDaily
from integrations.models import Connection, SupportTicket, SyncRun

pytestmark = pytest.mark.django_db


def rejected(constraint: str, write: Callable[[], object]) -> None:
    """``write`` fails with an IntegrityError naming ``constraint`` and leaves nothing."""
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        write()
    assert constraint in str(exc.value), str(exc.value)


@pytest.fixture
def account() -> Account:
    return Account.objects.create(name="Constraint Co", domain="constraint.test")


@pytest.fixture
def surveys() -> dict[str, Survey]:
    return {
        kind: Survey.objects.create(key=f"c-{kind}", name=kind, kind=kind, question="?")
        for kind in ("nps", "csat")
    }


@pytest.fixture
def zendesk() -> Connection:
    return Connection.objects.create(provider="zendesk", name="zd", base_url="http://zd.test")


def answer(account, survey, score: int) -> SurveyResponse:
    return SurveyResponse.objects.create(
        survey=survey, kind=survey.kind, account=account, score=score, responded_at=clock.now()
    )


def test_nps_answer_of_11_and_csat_of_6_are_rejected(account, surveys):
    rejected("survey_score_in_scale", lambda: answer(account, surveys["nps"], 11))
    rejected("survey_score_in_scale", lambda: answer(account, surveys["nps"], -1))
    rejected("survey_score_in_scale", lambda: answer(account, surveys["csat"], 6))
    rejected("survey_score_in_scale", lambda: answer(account, surveys["csat"], 0))
    answer(account, surveys["nps"], 10)
    answer(account, surveys["nps"], 0)
    answer(account, surveys["csat"], 5)
    assert sorted(SurveyResponse.objects.values_list("score", flat=True)) == [0, 5, 10]


def test_nps_answer_of_11_is_rejected_through_raw_sql(account, surveys):
    sql = (
        "INSERT INTO health_surveyresponse (survey_id, kind, account_id, score, comment,"
        " responded_at, source) VALUES (%s, 'nps', %s, %s, '', %s, 'raw')"
    )

    def insert(score: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [surveys["nps"].pk, account.pk, score, clock.now()])

    rejected("survey_score_in_scale", lambda: insert(11))
    insert(9)
    assert list(SurveyResponse.objects.values_list("source", "score")) == [("raw", 9)]


def contract(account, **overrides) -> Contract:
    values = {
        "account": account,
        "name": "Subscription",
        "start_date": date(2025, 1, 1),
        "end_date": date(2026, 1, 1),
        "arr": Decimal("1000.00"),
    }
    return Contract.objects.create(**(values | overrides))


def test_negative_contract_value_and_end_before_start_are_rejected(account):
    rejected("contract_arr_non_negative", lambda: contract(account, arr=Decimal("-0.01")))
    rejected("contract_ends_after_start", lambda: contract(account, end_date=date(2024, 12, 31)))
    rejected("contract_ends_after_start", lambda: contract(account, end_date=date(2025, 1, 1)))
    rejected("account_arr_non_negative", lambda: Account.objects.create(name="X", arr=-1))
    contract(account, arr=Decimal("0.00"), end_date=date(2025, 1, 2))
    assert Contract.objects.get().arr == 0


def test_duplicate_external_ids_are_rejected(account, zendesk):
    def ticket(external_id, connection=zendesk) -> SupportTicket:
        return SupportTicket.objects.create(
            account=account,
            connection=connection,
            external_id=external_id,
            subject="Help",
            opened_at=clock.now(),
        )

    ticket("1001")
    rejected("ticket_external_id_per_connection", lambda: ticket("1001"))
    other = Connection.objects.create(provider="zendesk", name="zd2", base_url="http://zd2.test")
    ticket("1001", connection=other)  # unique per connection, not globally
    ticket(None)
    ticket(None)  # local tickets have no external id, and need none
    assert SupportTicket.objects.count() == 4

    account.zendesk_org_id = "360000000001"
    account.save()
    duplicate = Account(name="Same org", domain="same-org.test", zendesk_org_id="360000000001")
    rejected("zendesk_org_id", lambda: Account.objects.bulk_create([duplicate]))
    Account.objects.bulk_create([Account(name="No org", domain="no-org.test")])
    assert Account.objects.filter(zendesk_org_id="360000000001").count() == 1


def test_renewal_probability_above_one_is_rejected(account):
    def renewal(probability: str) -> Renewal:
        return Renewal.objects.create(
            account=account,
            renewal_date=date(2026, 1, 1),
            current_arr=Decimal("1000.00"),
            probability=Decimal(probability),
        )

    rejected("renewal_probability_0_1", lambda: renewal("1.5"))
    rejected("renewal_probability_0_1", lambda: renewal("-0.1"))
    renewal("1.0")
    assert Renewal.objects.get().probability == Decimal("1.000")


def test_second_open_cta_for_one_account_and_reason_is_rejected(account):
    def cta(status: str = "open", reason: str = "churn_risk") -> CTA:
        return CTA.objects.create(
            account=account, reason=reason, title="Call them", status=status, source="manual"
        )

    cta()
    rejected("cta_one_open_per_reason", lambda: cta())
    rejected("cta_one_open_per_reason", lambda: cta(status="in_progress"))
    cta(status="done")
    cta(reason="renewal")
    assert CTA.objects.count() == 3


def test_second_running_sync_for_one_connection_is_rejected(zendesk):
    def run(status: str) -> SyncRun:
        return SyncRun.objects.create(
            connection=zendesk, stream="tickets", status=status, started_at=clock.now()
        )

    run("running")
    rejected("syncrun_one_", lambda: run("running"))
    run("succeeded")
    assert SyncRun.objects.filter(status="running").count() == 1


def test_health_score_above_100_is_rejected(account):
    card = Scorecard.objects.create(key="constraint-test", version=1, name="t", definition={})

    def snapshot(score: str, days_ago: int) -> HealthScore:
        moment = clock.now() - timedelta(days=days_ago)
        return HealthScore.objects.create(
            account=account,
            scorecard=card,
            as_of=moment,
            computed_at=moment,
            score=Decimal(score),
            band="green",
            coverage=Decimal("1"),
            confidence="high",
            inputs={},
            result={},
        )

    rejected("health_score_0_100", lambda: snapshot("101", 1))
    rejected("health_score_0_100", lambda: snapshot("-0.1", 1))
    snapshot("100", 1)
    assert HealthScore.objects.get().score == 100


def test_duplicate_usage_row_for_an_account_day_is_rejected(account):
    day = date(2025, 6, 1)
    UsageDaily.objects.create(account=account, date=day, active_users=3, sessions=4)
    rejected(
        "usage_one_row_per_day",
        lambda: UsageDaily.objects.bulk_create([UsageDaily(account=account, date=day)]),
    )
    rejected(
        "usage_sessions_cover_users",
        lambda: UsageDaily.objects.create(
            account=account, date=day + timedelta(days=1), active_users=5, sessions=4
        ),
    )
    UsageDaily.objects.create(account=account, date=day + timedelta(days=1))
    assert UsageDaily.objects.filter(account=account).count() == 2
