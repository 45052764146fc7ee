"""Row builders for the engagement, retention and monitor tests: accounts, daily usage,
health scores, churn predictions, survey answers and renewals, each written as a real row.
Test modules import them by name; the staff comes from the shared ``staff`` fixture."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from cs_platform.core import clock
from customers.models import Account, Renewal
from health.models import (
    ChurnPrediction,
    HealthScore,
    LatestHealthScore,
    Scorecard,
    Survey,
    SurveyResponse,
    UsageDaily,
)
from health.scoring import MODEL_VERSION


def create_account(owner, name: str, **fields) -> Account:
    """A small-business account in adoption, a customer for 400 days; ``fields`` override."""
    defaults = {
        "tier": "smb",
        "arr": Decimal("20000.00"),
        "seats_licensed": 100,
        "lifecycle_stage": "adoption",
        "customer_since": clock.today() - timedelta(days=400),
    }
    values = {**defaults, **fields}
    # Rows written straight to the table: ARR in the reporting currency as the money
    # service would store it (USD accounts need no rate; other currencies have none here).
    if values.get("currency", "USD") == "USD":
        values.setdefault("arr_reporting", values["arr"])
    return Account.objects.create(name=name, owner=owner, **values)


def create_usage_days(account: Account, users_by_day: list[int], *, end: date | None = None):
    """One usage row per value, the last value on `end` (today by default)."""
    end = end or clock.today()
    n = len(users_by_day)
    UsageDaily.objects.bulk_create(
        UsageDaily(
            account=account,
            date=end - timedelta(days=n - 1 - i),
            active_users=u,
            sessions=u * 2,
            events=u * 15,
            minutes=u * 20,
        )
        for i, u in enumerate(users_by_day)
    )


def _test_scorecard() -> Scorecard:
    card, _ = Scorecard.objects.get_or_create(
        key="test-scorecard", version=1, defaults={"name": "test scorecard", "definition": {}}
    )
    return card


def create_health_score(
    account: Account, score: float | None, band: str, *, as_of: datetime | None = None
) -> HealthScore:
    """The account's latest health snapshot (an hour ago by default); the previous one is
    no longer the latest."""
    as_of = as_of or clock.now() - timedelta(hours=1)
    snapshot = HealthScore.objects.create(
        account=account,
        scorecard=_test_scorecard(),
        as_of=as_of,
        computed_at=as_of,
        score=None if score is None else Decimal(str(score)),
        band=band,
        coverage=Decimal("1.000"),
        confidence="high",
        inputs={},
        result={},
    )
    LatestHealthScore.objects.update_or_create(
        account=account, defaults={"snapshot": snapshot, "as_of": as_of}
    )
    return snapshot


def create_churn_prediction(
    account: Account, probability: str, *, at: datetime | None = None
) -> ChurnPrediction:
    at = at or clock.now() - timedelta(hours=1)
    return ChurnPrediction.objects.create(
        account=account,
        as_of=at,
        predicted_at=at,
        probability=Decimal(probability),
        risk_level="critical" if Decimal(probability) >= Decimal("0.5") else "high",
        model_version=MODEL_VERSION,
        factors=[],
        coverage=Decimal("1.000"),
    )


def create_survey_answer(
    account: Account, kind: str, score: int, *, days_ago: float = 1
) -> SurveyResponse:
    """An answer to the test survey of ``kind`` (nps, csat...), ``days_ago`` days ago."""
    survey, _ = Survey.objects.get_or_create(
        key=f"test-{kind}", defaults={"name": kind, "kind": kind, "question": "?"}
    )
    return SurveyResponse.objects.create(
        survey=survey,
        kind=kind,
        account=account,
        score=score,
        responded_at=clock.now() - timedelta(days=days_ago),
    )


def create_renewal(account: Account, in_days: int, arr: str = "20000.00") -> Renewal:
    return Renewal.objects.create(
        account=account,
        renewal_date=clock.today() + timedelta(days=in_days),
        current_arr=Decimal(arr),
    )
