"""Backtest a scorecard version against recorded renewal outcomes (read-only).

For every closed renewal with an outcome, the account is scored as of
``renewal_date - horizon``: from a stored snapshot of that scorecard version taken in the
week before that moment when one exists (what the CSM actually saw), otherwise from the
inputs as they were (``health_inputs_for_accounts`` with the past as_of: only rows dated
before it, and no payment status or feature breadth, which have no history). Nothing is
stored. Renewals are grouped by that day, so the query count grows with the number of
distinct renewal dates (two per date), not with accounts; at most ``MAX_RENEWALS`` of the
most recent renewals are tested.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from customers.models import Renewal, RenewalStage
from health.models import HealthScore
from health.models import Scorecard as ScorecardRow
from health.scoring import (
    FEATURE_KEYS,
    BacktestRow,
    BacktestSummary,
    backtest_summary,
    churn_risk_predict,
)
from health.scoring.calibration import Calibration, calibration_report
from health.scoring.platt import cross_validated_probabilities
from health.selectors.health_inputs import health_inputs_for_accounts
from health.selectors.scorecards import compiled_for

MAX_RENEWALS = 5000
SNAPSHOT_TOLERANCE = timedelta(days=7)


CV_FOLDS = 5


@dataclass
class BacktestReport:
    summary: BacktestSummary
    calibration: Calibration  # the model's own (uncalibrated) probabilities
    renewals_considered: int
    skipped_low_coverage: int
    from_stored_snapshots: int
    recomputed_from_history: int
    truncated: bool
    # Per renewal with a prediction, in renewal-date order: the model's logit, whether it
    # churned, and the renewal date (what a calibration fit reads).
    model_logits: list[float] = field(default_factory=list)
    model_churned: list[bool] = field(default_factory=list)
    renewal_dates: list[date] = field(default_factory=list)
    calibrated: Calibration | None = None  # cross-validated Platt scaling, see below
    calibration_note: str = ""


def cross_validated_calibration(
    logits: list[float], churned: list[bool], folds: int = CV_FOLDS
) -> tuple[Calibration | None, str]:
    """Brier and reliability of Platt-scaled probabilities, each renewal's from a fit on
    the other folds (never on itself): how the calibration would have done on outcomes it
    had not seen. None, with the reason, when a fold's training part is too small."""
    probabilities, fits = cross_validated_probabilities(logits, churned, folds)
    refused = [f for f in fits if f.status != "calibrated"]
    if refused:
        return None, (
            f"Not evaluated: {len(refused)} of {folds} folds could not be fitted "
            f"({refused[0].reason})."
        )
    note = (
        f"Platt scaling, {folds}-fold cross-validated: renewals dealt to {folds} folds "
        "(stratified by outcome, in renewal-date order); each renewal's calibrated "
        f"probability comes from a fit on the other {folds - 1} folds only. Base-rate Brier "
        "is the in-sample churn rate's (a bar slightly easier than out-of-sample)."
    )
    return calibration_report([p for p in probabilities if p is not None], churned), note


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def scorecard_backtest(
    *, accounts: QuerySet, card_row: ScorecardRow, horizon_days: int, today: date,
    min_coverage: float = 0.0, now: datetime | None = None,
) -> BacktestReport:  # fmt: skip
    """Score every closed renewal ``horizon_days`` before it; scores resting on less than
    ``min_coverage`` of the scorecard's weight count as missing (skipped, never 50)."""
    renewals = list(
        Renewal.objects.filter(
            account__in=accounts,
            stage=RenewalStage.CLOSED,
            outcome__isnull=False,
            renewal_date__lte=today,
        )
        .order_by("-renewal_date", "-id")
        .values_list("account_id", "renewal_date", "outcome")[: MAX_RENEWALS + 1]
    )
    truncated = len(renewals) > MAX_RENEWALS
    renewals = renewals[:MAX_RENEWALS]
    by_day: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for account_id, renewal_date, outcome in renewals:
        by_day[renewal_date - timedelta(days=horizon_days)].append((account_id, outcome))
    compiled = compiled_for(card_row)
    bands = compiled.scorecard.score_bands
    rows: list[BacktestRow] = []
    probabilities: list[float] = []
    churned: list[bool] = []
    logits: list[float] = []
    dates: list[date] = []
    stored_n = recomputed_n = low_n = 0
    for day, items in sorted(by_day.items()):
        renewal_day = day + timedelta(days=horizon_days)
        as_of = _moment(day)
        ids = sorted({a for a, _ in items})
        stored: dict[int, Any] = {}
        for account_id, computed, coverage, stored_inputs in (
            HealthScore.objects.filter(
                account_id__in=ids,
                scorecard=card_row,
                as_of__lte=as_of,
                as_of__gt=as_of - SNAPSHOT_TOLERANCE,
            )
            .order_by("account_id", "-as_of")
            .values_list("account_id", "computed_score", "coverage", "inputs")
        ):
            score = None if computed is None else float(computed)
            values = {
                k: (v.get("value") if isinstance(v, dict) else v)
                for k, v in (stored_inputs or {}).items()
            }
            stored.setdefault(account_id, (score, float(coverage), values))
        missing = [a for a in ids if a not in stored]
        recomputed: dict[int, tuple[float | None, float, dict[str, Any]]] = {}
        if missing:
            inputs = health_inputs_for_accounts(missing, as_of=as_of, now=now)
            for account_id, acc in inputs.items():
                fast = compiled.score(acc.values)
                recomputed[account_id] = (fast.computed_score, fast.coverage, acc.values)
        for account_id, outcome in items:
            if account_id in stored:
                score, coverage, values = stored[account_id]
                stored_n += 1
            else:
                score, coverage, values = recomputed.get(account_id, (None, 0.0, {}))
                recomputed_n += 1
            # The churn model's probability from the same moment's data, for calibration.
            features = {k: values.get(k) for k in FEATURE_KEYS if k != "health_score"}
            prediction = churn_risk_predict({"health_score": score, **features})
            if prediction.probability is not None:
                probabilities.append(prediction.probability)
                churned.append(outcome == "churned")
                logits.append(prediction.logit)
                dates.append(renewal_day)
            if score is not None and coverage < min_coverage:
                score = None
                low_n += 1
            rows.append(BacktestRow(score, bands.band_for(score, coverage), outcome))
    calibrated, note = cross_validated_calibration(logits, churned)
    return BacktestReport(
        summary=backtest_summary(rows),
        calibration=calibration_report(probabilities, churned),
        model_logits=logits,
        model_churned=churned,
        renewal_dates=dates,
        calibrated=calibrated,
        calibration_note=note,
        renewals_considered=len(renewals),
        skipped_low_coverage=low_n,
        from_stored_snapshots=stored_n,
        recomputed_from_history=recomputed_n,
        truncated=truncated,
    )
