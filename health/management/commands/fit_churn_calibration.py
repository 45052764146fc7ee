"""(Re)fit the churn model's calibration on recorded renewal outcomes."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from health.services.churn_calibration import DEFAULT_HORIZON_DAYS, churn_calibration_fit


class Command(BaseCommand):
    help = (
        "Fit Platt scaling of the churn model on every closed renewal with an outcome "
        "(features taken --horizon-days before each renewal) and store it as the next "
        "numbered calibration; with too few outcomes the stored row says 'uncalibrated' and "
        "why. Then re-predicts the latest snapshots under it (--no-apply: leave that to the "
        "next recompute or identify_churn_risk call)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--horizon-days", type=int, default=DEFAULT_HORIZON_DAYS)
        parser.add_argument("--no-apply", action="store_true")

    def handle(self, *args, **opts):
        if not 1 <= opts["horizon_days"] <= 730:
            raise CommandError("--horizon-days must be between 1 and 730")
        outcome = churn_calibration_fit(
            horizon_days=opts["horizon_days"], apply=not opts["no_apply"],
            actor_label="command:fit_churn_calibration",
        )  # fmt: skip
        row = outcome.row
        report = {
            "model_version": row.model_version, "version": row.version, "status": row.status,
            "slope": row.slope, "intercept": row.intercept, "outcomes": row.outcomes,
            "churned": row.churned, "reason": row.reason,
            "brier_in_sample_before": row.brier_before,
            "brier_in_sample_after": row.brier_after,
            "fitted_at": row.fitted_at.isoformat(timespec="seconds"),
            "predictions_rewritten": outcome.refresh.predictions_written if outcome.refresh
            else 0,
        }  # fmt: skip
        self.stdout.write(json.dumps(report))
