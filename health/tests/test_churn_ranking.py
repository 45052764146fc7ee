"""identify_churn_risk lists accounts that can still churn, ranked by risk x ARR x urgency
with each part visible, and every reason line agrees with its factor's effect."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Renewal
from health.scoring.urgency import renewal_urgency, risk_priority
from health.services.churn_risk import churn_copy_stale_accounts, churn_copy_stale_ids
from tests.builders import build_account

pytestmark = pytest.mark.django_db


def test_urgency_steps_by_hand():
    assert [renewal_urgency(d) for d in (-5, 0, 30, 31, 90, 91, 180, 181, None)] == [
        1.0, 1.0, 1.0, 0.75, 0.75, 0.5, 0.5, 0.25, 0.25
    ]  # fmt: skip
    # 0.6 x 120,000 x 0.25 = 18,000; unknown ARR counts 0.
    assert risk_priority(0.6, Decimal("120000"), 0.25) == 18000.0
    assert risk_priority(0.6, None, 1.0) == 0.0


@pytest.mark.date_sensitive
def test_ranking_is_risk_times_arr_times_urgency_and_churned_are_absent(actors, staff, portfolio):
    healthy, declining = portfolio["healthy"], portfolio["declining"]
    gone = build_account(staff["csm1"], 7, declining=True)
    Account.objects.filter(pk=gone.pk).update(status="churned", churned_on=clock.today())
    lead = Account.objects.create(name="Lead", owner=staff["csm1"], status="prospect")
    today = clock.today()
    # healthy: low risk but 4,000,000 ARR renewing in 10 days (urgency 1);
    # declining: critical risk, 120,000 ARR renewing in 300 days (urgency 0.25).
    Account.objects.filter(pk=healthy.pk).update(arr_reporting=Decimal("4000000.00"))
    Renewal.objects.filter(account=healthy).update(renewal_date=today + timedelta(days=10))
    Renewal.objects.filter(account=declining).update(renewal_date=today + timedelta(days=300))

    out = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    rows = {r["account_id"]: r for r in out["accounts"]}
    assert set(rows) == {healthy.pk, declining.pk}  # churned and prospect accounts absent
    h, d = rows[healthy.pk], rows[declining.pk]
    assert (h["days_to_renewal"], h["urgency"], h["arr"]) == (10, 1.0, 4000000.0)
    assert (d["days_to_renewal"], d["urgency"], d["arr"]) == (300, 0.25, 120000.0)
    for r in (h, d):
        assert r["priority"] == round(r["probability"] * r["arr"] * r["urgency"], 2)
    # The riskier account ranks second: its decision is far and its ARR small.
    assert d["probability"] > h["probability"] and h["priority"] > d["priority"]
    assert [r["account_id"] for r in out["accounts"]] == [healthy.pk, declining.pk]
    assert out["reporting_currency"] == "USD"

    paged = invoke_tool(
        "identify_churn_risk", actors["csm1"], {"min_risk_level": "low", "limit": 1}
    )
    nxt = invoke_tool(
        "identify_churn_risk",
        actors["csm1"],
        {"min_risk_level": "low", "limit": 1, "cursor": paged["page"]["next_cursor"]},
    )
    assert [r["account_id"] for r in paged["accounts"] + nxt["accounts"]] == [
        healthy.pk, declining.pk
    ]  # fmt: skip
    prospects = invoke_tool(
        "identify_churn_risk", actors["csm1"], {"min_risk_level": "low", "status": "prospect"}
    )
    assert {r["account_id"] for r in prospects["accounts"]} <= {lead.pk}
    with pytest.raises(InvalidInput):
        invoke_tool("identify_churn_risk", actors["csm1"], {"status": "churned"})


@pytest.mark.date_sensitive
def test_reason_lines_agree_with_effects(actors, portfolio):
    out = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    words = {
        "raises_risk": "raises risk: ",
        "lowers_risk": "lowers risk: ",
        "neutral": "no effect: ",
    }
    factors = [f for r in out["accounts"] for f in r["top_factors"]]
    assert factors and all(f["why"].startswith(words[f["effect"]]) for f in factors)
    assert all(f["log_odds"] > 0 for f in factors if f["effect"] == "raises_risk")
    assert not any("Negative" in f["why"] or "Positive" in f["why"] for f in factors)


def _ranked_by_hand(owner) -> list[int]:
    """Every active account of the book with a current prediction of its latest snapshot,
    ranked by probability x ARR x urgency, then id: computed row by row."""
    from health.models import ChurnPrediction, LatestHealthScore
    from health.scoring import MODEL_VERSION

    today = clock.today()
    ranked = []
    for account in Account.objects.filter(owner=owner, status="active"):
        latest = LatestHealthScore.objects.filter(account=account).first()
        prediction = (
            latest
            and ChurnPrediction.objects.filter(
                account=account, as_of=latest.as_of, model_version=MODEL_VERSION
            ).first()
        )
        if not prediction:
            continue
        renewal = (
            Renewal.objects.filter(account=account).exclude(stage="closed").order_by("renewal_date")
        ).first()
        days = None if renewal is None else (renewal.renewal_date - today).days
        exact = prediction.probability * (account.arr_reporting or 0)
        ranked.append((-exact * Decimal(str(renewal_urgency(days))), account.pk))
    return [pk for _, pk in sorted(ranked)]


@pytest.mark.date_sensitive
def test_pages_follow_the_full_ranking_in_queries_that_do_not_grow(actors, staff, portfolio):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = clock.today()

    def book(numbers: range) -> None:
        for n in numbers:
            account = build_account(staff["csm1"], n, declining=n % 2 == 0)
            Renewal.objects.filter(account=account).update(
                renewal_date=today + timedelta(days=(-3, 12, 45, 120, 400)[n % 5])
            )
            Account.objects.filter(pk=account.pk).update(arr_reporting=Decimal(1000 * n))

    def pages(limit: int) -> tuple[list[int], int]:
        ids, cursor, most = [], None, 0
        while True:
            payload = {"min_risk_level": "low", "limit": limit}
            if cursor:
                payload["cursor"] = cursor
            with CaptureQueriesContext(connection) as ctx:
                out = invoke_tool("identify_churn_risk", actors["csm1"], payload)
            most = max(most, len(ctx.captured_queries))
            ids += [r["account_id"] for r in out["accounts"]]
            cursor = out["page"]["next_cursor"]
            if not cursor:
                return ids, most

    book(range(10, 16))
    invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})  # scores
    small_ids, small = pages(3)
    assert small_ids == _ranked_by_hand(staff["csm1"]) and len(small_ids) == 8
    book(range(16, 30))
    invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    large_ids, large = pages(3)
    assert large_ids == _ranked_by_hand(staff["csm1"]) and len(large_ids) == 22
    assert large == small <= 19


def test_refresh_candidates_are_the_stale_copies_read_from_an_index(staff):
    """The refresh looks only at accounts whose copy is empty or under another calibration,
    and finds them on an index: identify_churn_risk must not read every account per call."""
    names = ("uncopied", "uncalibrated", "calibrated 7", "calibrated 9")
    made = {n: Account.objects.create(name=n, owner=staff["csm1"], status="active") for n in names}
    for name, calibration in (("uncalibrated", None), ("calibrated 7", 7), ("calibrated 9", 9)):
        Account.objects.filter(pk=made[name].pk).update(
            churn_probability=Decimal("0.2"), churn_calibration_id=calibration
        )
    scope = Account.objects.filter(pk__in=[a.pk for a in made.values()])
    made_by_pk = {a.pk: n for n, a in made.items()}

    def stale(calibration_id):
        return {made_by_pk[pk] for pk in churn_copy_stale_ids(scope, calibration_id)}

    assert stale(None) == {"uncopied", "calibrated 7", "calibrated 9"}
    assert stale(7) == {"uncopied", "uncalibrated", "calibrated 9"}
    everyone = Account.objects.filter(status="active")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_account")
        # Proves an index can answer it: with no usable index the planner keeps the
        # sequential scan however expensive it is made.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for calibration_id in (None, 7):
            sql, params = (
                churn_copy_stale_accounts(everyone, calibration_id)
                .values("pk")
                .query.sql_with_params()
            )
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            assert "Seq Scan on customers_account" not in plan, plan
