"""Fixtures and row builders for the engagement, retention and monitor tests.

Imported by those test modules (not a conftest, which another suite owns); every name is
prefixed `g2_` so nothing here shadows the shared fixtures. Test modules import
`g2_staff_fixture` (registered as the `g2_staff` fixture).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role, StaffProfile
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Renewal
from health.models import (
    ChurnPrediction,
    HealthScore,
    Scorecard,
    Survey,
    SurveyResponse,
    UsageDaily,
)


@pytest.fixture(name="g2_staff")
def g2_staff_fixture(db) -> dict[str, object]:
    users = {}
    for name, role in (
        ("manager", Role.MANAGER),
        ("csm1", Role.CSM),
        ("csm2", Role.CSM),
        ("viewer", Role.VIEWER),
    ):
        user = get_user_model().objects.create_user(username=f"g2_{name}", password=None)
        StaffProfile.objects.create(user=user, role=role)
        users[name] = user
    return users


def g2_call(user, name: str, payload: dict, channel: str = "command") -> dict:
    return invoke_tool(name, actor_for_user(user, channel=channel), payload)


def g2_today() -> date:
    return clock.now().date()


def g2_account(owner, name: str, **fields) -> Account:
    defaults = {
        "tier": "smb",
        "arr": Decimal("20000.00"),
        "seats_licensed": 100,
        "lifecycle_stage": "adoption",
        "customer_since": g2_today() - timedelta(days=400),
    }
    values = {**defaults, **fields}
    # Rows written straight to the table: ARR in the reporting currency as the money
    # service would store it (USD accounts need no rate; other currencies have none here).
    if values.get("currency", "USD") == "USD":
        values.setdefault("arr_reporting", values["arr"])
    return Account.objects.create(name=name, owner=owner, **values)


def g2_usage(account: Account, users_by_day: list[int], *, end: date | None = None) -> None:
    """One usage row per value, the last value on `end` (today by default)."""
    end = end or g2_today()
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


def g2_scorecard() -> Scorecard:
    card, _ = Scorecard.objects.get_or_create(
        key="g2-test", version=1, defaults={"name": "g2 test", "definition": {}}
    )
    return card


def g2_health(account: Account, score: float | None, band: str, *, as_of: datetime | None = None):
    as_of = as_of or clock.now() - timedelta(hours=1)
    HealthScore.objects.filter(account=account, is_latest=True).update(is_latest=False)
    return HealthScore.objects.create(
        account=account,
        scorecard=g2_scorecard(),
        as_of=as_of,
        computed_at=as_of,
        score=None if score is None else Decimal(str(score)),
        band=band,
        coverage=Decimal("1.000"),
        confidence="high",
        inputs={},
        result={},
        is_latest=True,
    )


def g2_prediction(account: Account, probability: str, *, at: datetime | None = None):
    at = at or clock.now() - timedelta(hours=1)
    return ChurnPrediction.objects.create(
        account=account,
        as_of=at,
        predicted_at=at,
        probability=Decimal(probability),
        risk_level="critical" if Decimal(probability) >= Decimal("0.5") else "high",
        model_version="churn-logit-v1",
        factors=[],
        coverage=Decimal("1.000"),
    )


def g2_answer(account: Account, kind: str, score: int, *, days_ago: float = 1) -> SurveyResponse:
    survey, _ = Survey.objects.get_or_create(
        key=f"g2-{kind}", defaults={"name": kind, "kind": kind, "question": "?"}
    )
    return SurveyResponse.objects.create(
        survey=survey,
        kind=kind,
        account=account,
        score=score,
        responded_at=clock.now() - timedelta(days=days_ago),
    )


def g2_renewal(account: Account, in_days: int, arr: str = "20000.00") -> Renewal:
    return Renewal.objects.create(
        account=account,
        renewal_date=g2_today() + timedelta(days=in_days),
        current_arr=Decimal(arr),
    )
