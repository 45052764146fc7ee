"""(Re)fitting the churn model's calibration on recorded renewal outcomes.

The fit reads what the backtest reads (``health.selectors.backtest``): for every closed
renewal with an outcome, the model's logit from the account's data ``horizon_days`` before
the renewal (a stored snapshot of the active scorecard then, else the data as it was), and
whether the account churned. It stores a new numbered ``ChurnCalibration`` row whatever
the result: a Platt scaling, or ``uncalibrated`` with the reason (too few outcomes, no
positive slope), which then is what is in force — never an invented mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from audit.services import audit_event_record
from cs_platform.core import clock
from customers.models import Account
from health.models import ChurnCalibration, ChurnCalibrationStatus
from health.scoring import MODEL_VERSION
from health.scoring.calibration import calibration_report
from health.scoring.platt import METHOD, MIN_OUTCOMES, MIN_PER_CLASS, platt_fit, sigmoid
from health.selectors.backtest import scorecard_backtest
from health.services.churn_risk import RefreshOutcome, churn_predictions_refresh
from health.services.scoring.context import scorecard_row_active

DEFAULT_HORIZON_DAYS = 90


@dataclass
class CalibrationFitOutcome:
    row: ChurnCalibration
    refresh: RefreshOutcome | None


def churn_calibration_fit(
    *, horizon_days: int = DEFAULT_HORIZON_DAYS, now: datetime | None = None, actor: Any = None,
    actor_label: str = "system", channel: str = "command", apply: bool = True,
) -> CalibrationFitOutcome:  # fmt: skip
    """Fit and store a calibration for the current model on every recorded outcome; with
    ``apply``, re-predict the latest snapshots' churn under it (predictions say which fit
    they used, so a listing never mixes fits unknowingly)."""
    now = now or clock.now()
    report = scorecard_backtest(
        accounts=Account.objects.all(),
        card_row=scorecard_row_active(),
        horizon_days=horizon_days,
        today=now.date(),
        now=now,
    )
    logits, churned = report.model_logits, report.model_churned
    fit = platt_fit(logits, churned, min_outcomes=MIN_OUTCOMES, min_per_class=MIN_PER_CLASS)
    before = after = None
    if logits:
        before = calibration_report([sigmoid(x) for x in logits], churned).brier
    if fit.status == "calibrated":
        calibrated = [sigmoid(fit.slope * x + fit.intercept) for x in logits]
        after = calibration_report(calibrated, churned).brier
    with transaction.atomic():
        # Numbered per model; the unique constraint turns a concurrent fit into an error.
        last = ChurnCalibration.objects.filter(model_version=MODEL_VERSION).aggregate(
            v=Max("version")
        )["v"]
        row = ChurnCalibration.objects.create(
            model_version=MODEL_VERSION,
            version=(last or 0) + 1,
            method=METHOD,
            status=(
                ChurnCalibrationStatus.CALIBRATED
                if fit.status == "calibrated"
                else ChurnCalibrationStatus.UNCALIBRATED
            ),
            slope=fit.slope,
            intercept=fit.intercept,
            outcomes=fit.outcomes,
            churned=fit.churned,
            horizon_days=horizon_days,
            outcomes_from=min(report.renewal_dates, default=None),
            outcomes_to=max(report.renewal_dates, default=None),
            reason=fit.reason[:200],
            brier_before=before,
            brier_after=after,
            fitted_at=now,
        )
        audit_event_record(
            actor=actor,
            actor_label=actor_label,
            channel=channel,
            action="health.churn_calibration_fit",
            obj=row,
            changes={
                "model_version": MODEL_VERSION, "version": row.version, "status": row.status,
                "slope": fit.slope, "intercept": fit.intercept, "outcomes": fit.outcomes,
                "churned": fit.churned, "reason": fit.reason,
            },
        )  # fmt: skip
    refresh = None
    if apply:
        refresh = churn_predictions_refresh(
            accounts=Account.objects.all(), now=now, actor_label=actor_label, channel=channel
        )
    return CalibrationFitOutcome(row=row, refresh=refresh)
