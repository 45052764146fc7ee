"""The churn-model calibration in force: the newest stored fit of the current model."""

from __future__ import annotations

from health.models import ChurnCalibration, ChurnCalibrationStatus
from health.scoring import MODEL_VERSION
from health.scoring.platt import PlattScaling


def churn_calibration_latest(model_version: str = MODEL_VERSION) -> ChurnCalibration | None:
    """The newest fit of ``model_version``, calibrated or not (None: never fitted)."""
    return ChurnCalibration.objects.filter(model_version=model_version).order_by("-version").first()


def platt_scaling_of(row: ChurnCalibration | None) -> PlattScaling | None:
    """What predictions apply: None without a row or when the newest says uncalibrated."""
    if row is None or row.status != ChurnCalibrationStatus.CALIBRATED:
        return None
    return PlattScaling(
        slope=row.slope,
        intercept=row.intercept,
        version=row.version,
        fitted_at=row.fitted_at.isoformat(timespec="seconds"),
        outcomes=row.outcomes,
    )


def churn_calibration_in_force() -> tuple[PlattScaling | None, int | None]:
    """(scaling to apply, id of its row) for the current model; (None, None) uncalibrated."""
    row = churn_calibration_latest()
    scaling = platt_scaling_of(row)
    return scaling, (row.pk if scaling is not None else None)


def calibration_summary(row: ChurnCalibration | None) -> dict:
    """What a tool answer says about calibration: status, and the fit or why there is none."""
    if row is None:
        return {
            "status": "uncalibrated",
            "version": None,
            "fitted_at": None,
            "outcomes": 0,
            "note": "No calibration has been fitted for this model: probabilities are the "
            "expert-set prior's (run fit_churn_calibration).",
        }
    scaling = platt_scaling_of(row)
    return {
        "status": row.status,
        "version": row.version,
        "fitted_at": row.fitted_at,
        "outcomes": row.outcomes,
        "note": scaling.describe() if scaling else f"Uncalibrated: {row.reason}",
    }
