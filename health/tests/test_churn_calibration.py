"""The churn calibration stored as data: fitted on recorded outcomes by the service and
command, applied by the compiled recompute and the reference path alike, reported by the
tools; too few outcomes store 'uncalibrated' with the reason."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.tools import invoke_tool
from health.models import ChurnCalibration, ChurnPrediction, HealthScore, RiskIndicator
from health.scoring import MODEL_VERSION
from health.selectors.churn_calibration import churn_calibration_in_force
from health.services import churn_calibration as service
from health.services.scoring import health_recompute_accounts
from health.services.scoring.churn import churn_predict_for
from health.tests.test_health_tools import _renewal_account

pytestmark = pytest.mark.django_db


def _seven_renewals(owner):
    renewal_date = clock.today() - timedelta(days=20)
    steady = lambda back: 60  # noqa: E731
    collapsing = lambda back: 15 if back < 30 else 60  # noqa: E731
    accounts = [
        _renewal_account(owner, f"Renewed {n}", "renewed", steady, renewal_date) for n in range(3)
    ]
    accounts += [
        _renewal_account(owner, f"Churned {n}", "churned", collapsing, renewal_date)
        for n in range(4)
    ]
    return accounts


@pytest.mark.date_sensitive
def test_too_few_outcomes_store_uncalibrated_with_the_reason(actors, staff):
    _seven_renewals(staff["csm1"])
    out = StringIO()
    call_command("fit_churn_calibration", "--no-apply", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["status"], report["version"], report["outcomes"]) == ("uncalibrated", 1, 7)
    assert report["reason"] == "7 renewal outcomes; at least 30 needed"
    assert report["slope"] is None and report["predictions_rewritten"] == 0
    row = ChurnCalibration.objects.get()
    assert row.model_version == MODEL_VERSION and row.churned == 4
    assert row.outcomes_from == row.outcomes_to == clock.today() - timedelta(days=20)
    assert churn_calibration_in_force() == (None, None)
    event = AuditEvent.objects.get(action="health.churn_calibration_fit")
    assert event.changes["status"] == "uncalibrated"

    backtest = invoke_tool("backtest_scorecard", actors["csm1"], {})
    assert backtest["brier_calibrated"] is None and backtest["reliability_calibrated"] == []
    assert backtest["calibration_note"].startswith("Not evaluated: 5 of 5 folds")
    in_force = backtest["calibration_in_force"]
    assert (in_force["status"], in_force["version"]) == ("uncalibrated", 1)
    assert "at least 30 needed" in in_force["note"]
    listed = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    assert listed["calibration"]["status"] == "uncalibrated"
    assert {r["calibration_version"] for r in listed["accounts"]} == {None}
    assert all(
        p.probability == p.raw_probability and p.calibration_id is None
        for p in ChurnPrediction.objects.all()
    )


@pytest.mark.date_sensitive
def test_a_fit_is_applied_by_both_paths_and_a_refit_re_predicts(actors, staff, monkeypatch):
    # Seven outcomes are below the real floor; lowered here so the fit runs on them.
    monkeypatch.setattr(service, "MIN_OUTCOMES", 5)
    monkeypatch.setattr(service, "MIN_PER_CLASS", 2)
    accounts = _seven_renewals(staff["csm1"])
    fitted = service.churn_calibration_fit(actor_label="test")
    row = fitted.row
    assert row.status == "calibrated" and row.slope > 0 and row.version == 1
    assert row.brier_after <= row.brier_before
    # apply: every account was scored now and predicted under the fit.
    assert fitted.refresh.predictions_written == 7
    scaling, row_id = churn_calibration_in_force()
    assert row_id == row.pk and scaling.slope == row.slope
    ids = [a.pk for a in accounts]
    health_recompute_accounts(account_ids=ids, as_of=clock.now())  # the compiled path
    for snap in HealthScore.objects.filter(latest_of__account_id__in=ids):
        stored = ChurnPrediction.objects.get(
            account_id=snap.account_id, as_of=snap.as_of, model_version=MODEL_VERSION
        )
        values = {k: v.get("value") if isinstance(v, dict) else v for k, v in snap.inputs.items()}
        reference = churn_predict_for(float(snap.computed_score), values, scaling)
        assert stored.calibration_id == row.pk
        assert float(stored.probability) == reference.probability
        assert float(stored.raw_probability) == reference.raw_probability
        assert stored.risk_level == reference.risk_level
        assert reference.calibration_version == 1
    listed = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    assert listed["predictions_written"] == 0
    assert listed["calibration"]["status"] == "calibrated"
    assert listed["calibration"]["version"] == 1 and listed["calibration"]["outcomes"] == 7
    assert {r["calibration_version"] for r in listed["accounts"]} == {1}

    second = service.churn_calibration_fit(actor_label="test", apply=False).row
    assert second.version == 2
    # Predictions made under fit 1 are stale now: the next listing re-predicts them.
    again = invoke_tool("identify_churn_risk", actors["csm1"], {"min_risk_level": "low"})
    assert again["predictions_written"] == 7
    assert {r["calibration_version"] for r in again["accounts"]} == {2}
    factors = invoke_tool("score_risk_factors", actors["csm1"], {"account_id": ids[-1]})
    assert factors["calibration"]["version"] == 2
    assert factors["raw_probability"] is not None and factors["probability"] is not None


@pytest.mark.date_sensitive
def test_an_indicator_of_a_dropped_factor_is_resolved(actors, portfolio):
    account = portfolio["declining"]
    RiskIndicator.objects.create(
        account=account, kind="churn:days_to_renewal", severity="low", value=20,
        details={}, detected_at=clock.now() - timedelta(days=3),
    )  # fmt: skip
    out = invoke_tool("score_risk_factors", actors["csm1"], {"account_id": account.pk})
    changes = {i["kind"]: i["change"] for i in out["indicators"]}
    assert changes["churn:days_to_renewal"] == "resolved"
    gone = RiskIndicator.objects.get(account=account, kind="churn:days_to_renewal")
    assert gone.resolved_at is not None
    assert gone.details["resolved_with"]["reason"] == f"not a factor of {MODEL_VERSION}"
    assert all(f["key"] != "days_to_renewal" for f in out["factors"])
