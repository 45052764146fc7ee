"""The five health scoring tools through invoke_tool, with real actors and scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cs_platform.core import clock
from cs_platform.core.errors import NotFound, PermissionDenied
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Renewal
from health.models import ChurnPrediction, HealthScore, RiskIndicator, UsageDaily
from health.services.scoring import health_recompute_accounts
from integrations.models import SupportTicket

pytestmark = pytest.mark.django_db


@pytest.mark.date_sensitive
def test_calculate_health_score_persists_and_differs_per_account(actors, portfolio):
    healthy = invoke_tool(
        "calculate_health_score", actors["csm1"], {"account_id": portfolio["healthy"].pk}
    )
    declining = invoke_tool(
        "calculate_health_score", actors["csm1"], {"account_id": portfolio["declining"].pk}
    )
    snap = HealthScore.objects.get(pk=declining["snapshot_id"])
    assert snap.latest_of.account_id == snap.account_id and float(snap.score) == declining["score"]
    assert declining["band"] == snap.band and healthy["score"] > declining["score"]
    by_key = {m["key"]: m for m in declining["measures"]}
    assert by_key["usage_trend"]["input"] == -50.0
    assert by_key["usage_trend"]["input_as_of"] == clock.today().isoformat()
    assert by_key["payment_status"]["input"] == "late"
    assert {m["key"]: m["input"] for m in healthy["measures"]} != {
        k: m["input"] for k, m in by_key.items()
    }
    missing = {m["input_key"]: m["reason"] for m in declining["missing_inputs"]}
    assert missing == {
        "feature_breadth": "no_tracked_features",
        "onboarding_progress": "no_onboarding_plan",
    }
    assert declining["trend"]["windows"][0]["reason"] == "no_point_old_enough"
    assert declining["churn_probability"] > healthy["churn_probability"]
    assert ChurnPrediction.objects.filter(account=portfolio["declining"]).count() == 1


@pytest.mark.date_sensitive
def test_tools_cannot_reach_another_csms_account(actors, portfolio):
    other = portfolio["other_csm"].pk
    for name, payload in (
        ("calculate_health_score", {"account_id": other}),
        ("explain_health_change", {"account_id": other}),
        ("score_risk_factors", {"account_id": other}),
    ):
        with pytest.raises(NotFound):
            invoke_tool(name, actors["csm1"], payload)
    assert not HealthScore.objects.filter(account_id=other).exists()
    health_recompute_accounts(account_ids=[other], as_of=clock.now())
    listed = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    assert other not in {row["account_id"] for row in listed["accounts"]}
    with pytest.raises(PermissionDenied):
        invoke_tool("calculate_health_score", actors["viewer"], {"account_id": other})


@pytest.mark.date_sensitive
def test_explain_health_change_names_usage_first(actors, staff):
    today = clock.today()
    account = Account.objects.create(name="Fading", owner=staff["csm1"], seats_licensed=100)
    UsageDaily.objects.bulk_create(
        UsageDaily(account=account, date=today - timedelta(days=back),
                   active_users=(u := 80 if back >= 30 else 30 + back), sessions=u)
        for back in range(120)
    )  # fmt: skip
    now = clock.now()
    health_recompute_accounts(account_ids=[account.pk], as_of=now - timedelta(days=30))
    health_recompute_accounts(account_ids=[account.pk], as_of=now)
    out = invoke_tool("explain_health_change", actors["csm1"], {"account_id": account.pk})
    assert out["score_delta"] < 0 and out["measures"][0]["key"] == "usage_trend"
    first = out["measures"][0]
    assert first["change"] == "input_changed" and first["contribution_delta"] < 0
    assert first["reason"].startswith("Usage trend fell from")
    assert "Usage trend" in out["summary"]
    with pytest.raises(NotFound) as exc:
        invoke_tool("explain_health_change", actors["csm1"], {"account_id": account.pk, "days": 60})
    assert exc.value.details["field"] == "days"


def _renewal_account(owner, name, outcome, users_for_day_back, renewal_date):
    account = Account.objects.create(name=name, owner=owner, seats_licensed=50)
    Renewal.objects.create(
        account=account, renewal_date=renewal_date, current_arr=Decimal("1000"),
        stage="closed", outcome=outcome, closed_on=renewal_date,
    )  # fmt: skip
    if users_for_day_back is not None:
        UsageDaily.objects.bulk_create(
            UsageDaily(account=account, date=renewal_date - timedelta(days=90 + back),
                       active_users=users_for_day_back(back),
                       sessions=users_for_day_back(back))
            for back in range(90)
        )  # fmt: skip
    return account


@pytest.mark.date_sensitive
def test_backtest_scorecard_auc_and_share_green(actors, staff):
    renewal_date = clock.today() - timedelta(days=20)
    steady = lambda back: 60  # noqa: E731
    collapsing = lambda back: 15 if back < 30 else 60  # noqa: E731
    for n in range(3):
        _renewal_account(staff["csm1"], f"Renewed {n}", "renewed", steady, renewal_date)
    _renewal_account(staff["csm1"], "Churned A", "churned", collapsing, renewal_date)
    _renewal_account(staff["csm1"], "Churned B", "churned", collapsing, renewal_date)
    _renewal_account(staff["csm1"], "Churned green", "churned", steady, renewal_date)
    blank = _renewal_account(staff["csm1"], "Churned blank", "churned", None, renewal_date)
    Account.objects.filter(pk=blank.pk).update(customer_since=renewal_date - timedelta(400))
    # The blank account is scored from its start date alone (engagement recency, 7.5 % of
    # the weight): with min_coverage it counts as missing instead.
    loose = invoke_tool("backtest_scorecard", actors["csm1"], {})
    assert loose["rows_scored"] == 7 and loose["skipped_low_coverage"] == 0
    out = invoke_tool("backtest_scorecard", actors["csm1"], {"min_coverage": 0.2})
    assert out["renewals_considered"] == 7 and out["rows_scored"] == 6
    assert out["skipped_low_coverage"] == 1 and out["recomputed_from_history"] == 7
    # Two churned accounts score below every renewal, one ties them: (2·3 + ½·3) / 9.
    assert out["auc"] == 0.8333
    # Usage and recency back 33.75 % of the weight (usage 35 % x 75 %, recency 7.5 %):
    # below the 60 % floor every scored row is
    # insufficient_data, so no churned account counts as "churned while green" — the
    # score still ranks them (AUC above), but the band is no verdict.
    assert (out["churned_total"], out["churned_green"]) == (4, 0)
    assert out["churned_green_share"] is None
    assert out["band_outcomes"] == {
        "unknown": {"renewed": 0, "expanded": 0, "churned": 1, "downgraded": 0},
        "insufficient_data": {"renewed": 3, "expanded": 0, "churned": 3, "downgraded": 0},
    }
    # Calibration of the churn model at the same moments: every renewal got a probability.
    assert out["churn_model"] == "churn-logit-v2"
    assert sum(r["rows"] for r in out["reliability"]) == 7 and len(out["reliability"]) == 7
    assert sum(r["churned"] for r in out["reliability"]) == 4
    assert 0 <= out["brier"] <= 1 and out["brier_base_rate"] == 0.2449  # 4/7 x 3/7
    predicted = [r["mean_predicted"] for r in out["reliability"]]
    assert predicted == sorted(predicted)
    assert not HealthScore.objects.exists()  # read-only


@pytest.mark.date_sensitive
def test_identify_churn_risk_persists_and_pages(actors, portfolio):
    out = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low", "limit": 1})
    assert out["accounts_scored_now"] == 2 and out["predictions_written"] == 2
    first = out["accounts"][0]
    assert first["account_id"] == portfolio["declining"].pk and first["risk_level"] == "critical"
    assert first["top_factors"][0]["effect"] == "raises_risk"
    assert out["page"]["has_next"] is True
    page2 = invoke_tool(
        "identify_churn_risk",
        actors["csm1"],
        {"min_risk_level": "low", "limit": 1, "cursor": out["page"]["next_cursor"]},
    )
    assert [r["account_id"] for r in page2["accounts"]] == [portfolio["healthy"].pk]
    assert page2["accounts"][0]["probability"] < first["probability"]
    assert page2["predictions_written"] == 0 and page2["page"]["has_next"] is False
    assert ChurnPrediction.objects.filter(account__owner=portfolio["healthy"].owner).count() == 2


@pytest.mark.date_sensitive
def test_score_risk_factors_opens_updates_and_resolves_indicators(actors, portfolio):
    account = portfolio["declining"]
    out = invoke_tool("score_risk_factors", actors["csm1"], {"account_id": account.pk})
    opened = {i["kind"]: i["change"] for i in out["indicators"]}
    assert opened["churn:open_high_severity_tickets"] == "opened"
    assert set(opened.values()) == {"opened"}
    assert out["factors"][0]["log_odds"] >= out["factors"][1]["log_odds"]
    again = invoke_tool("score_risk_factors", actors["csm1"], {"account_id": account.pk})
    assert {i["change"] for i in again["indicators"]} == {"updated"}
    SupportTicket.objects.filter(account=account).update(status="solved", resolved_at=clock.now())
    third = invoke_tool("score_risk_factors", actors["csm1"], {"account_id": account.pk})
    changes = {i["kind"]: i["change"] for i in third["indicators"]}
    assert changes["churn:open_high_severity_tickets"] == "resolved"
    indicator = RiskIndicator.objects.get(account=account, kind="churn:open_high_severity_tickets")
    assert indicator.resolved_at is not None
    assert RiskIndicator.objects.filter(account=account, resolved_at__isnull=True).count() == len(
        [c for c in changes.values() if c == "updated"]
    )


@pytest.mark.date_sensitive
def test_client_overview_components_match_the_stored_result(actors, portfolio):
    account = portfolio["declining"]
    scored = invoke_tool("calculate_health_score", actors["csm1"], {"account_id": account.pk})
    overview = invoke_tool("get_client_overview", actors["csm1"], {"account_id": account.pk})
    components = {c["key"]: c for c in overview["health"]["components"]}
    for m in scored["measures"]:
        c = components[m["key"]]
        assert (c["input"], c["score"], c["weight"], c["contribution"], c["status"]) == (
            m["input"], m["score"], m["effective_weight"], m["contribution"], m["status"]
        )  # fmt: skip
    assert overview["health"]["score"] == scored["score"]
