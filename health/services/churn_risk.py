"""Churn predictions for a set of accounts from their latest snapshots, persisted.

The recompute already stores a prediction beside every snapshot; this fills the gaps
(snapshots written before the current model version or calibration, or accounts never
scored) so that a listing can read predictions with one indexed query instead of scoring
on every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from health.models import ChurnPrediction, HealthScore
from health.scoring import MODEL_VERSION
from health.selectors.churn_calibration import churn_calibration_in_force
from health.services.scoring import health_recompute_accounts
from health.services.scoring.churn import churn_predict_for, factors_stored
from health.services.scoring.writes import predictions_upsert

# Accounts never scored are scored on the spot up to this many per call; the rest are
# reported, so one call cannot turn into a whole-portfolio recompute.
SCORE_ON_DEMAND_LIMIT = 1000
BATCH = 2000


@dataclass
class RefreshOutcome:
    predictions_written: int = 0
    accounts_scored_now: int = 0
    accounts_not_scored: int = 0


def _values(inputs: dict) -> dict:
    return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (inputs or {}).items()}


def churn_predictions_refresh(
    *, accounts: QuerySet, now: datetime, actor_label: str, channel: str
) -> RefreshOutcome:
    """Make sure every account of ``accounts`` with data has a current prediction."""
    outcome = RefreshOutcome()
    # Never scored: no latest snapshot, so no copy of its band on the account (a column
    # kept by triggers, health.services.latest_columns; a partial index holds them).
    never_scored = accounts.filter(latest_health_band__isnull=True)
    unscored = list(
        never_scored.order_by("pk").values_list("pk", flat=True)[: SCORE_ON_DEMAND_LIMIT + 1]
    )
    if len(unscored) > SCORE_ON_DEMAND_LIMIT:
        outcome.accounts_not_scored = never_scored.count() - SCORE_ON_DEMAND_LIMIT
        unscored = unscored[:SCORE_ON_DEMAND_LIMIT]
    if unscored:
        summary = health_recompute_accounts(
            account_ids=unscored, as_of=now, actor_label=actor_label, channel=channel
        )
        outcome.accounts_scored_now = summary.accounts
        outcome.predictions_written += summary.predictions
    calibration, calibration_id = churn_calibration_in_force()
    # Current = this model version under the calibration in force (a new fit makes every
    # earlier prediction stale: it is re-predicted from its snapshot's stored inputs).
    current = ChurnPrediction.objects.filter(
        account_id=OuterRef("account_id"), as_of=OuterRef("as_of"), model_version=MODEL_VERSION
    )
    current = (
        current.filter(calibration__isnull=True)
        if calibration_id is None
        else current.filter(calibration_id=calibration_id)
    )
    candidates = churn_copy_stale_ids(accounts, calibration_id)
    stale = (
        HealthScore.objects.filter(latest_of__account_id__in=candidates)
        .exclude(Exists(current))
        .order_by()
        .values_list("account_id", "as_of", "computed_score", "inputs")
    )
    batch: list[ChurnPrediction] = []
    rows = stale.iterator(chunk_size=BATCH) if candidates else ()
    for account_id, as_of, computed, inputs in rows:
        prediction = churn_predict_for(
            None if computed is None else float(computed), _values(inputs), calibration
        )
        if prediction.probability is None:
            continue
        batch.append(
            ChurnPrediction(
                account_id=account_id,
                as_of=as_of,
                predicted_at=now,
                probability=Decimal(repr(prediction.probability)),
                risk_level=prediction.risk_level,
                model_version=MODEL_VERSION,
                factors=factors_stored(prediction),
                coverage=Decimal(repr(round(prediction.coverage, 3))),
                raw_probability=Decimal(repr(prediction.raw_probability)),
                calibration_id=calibration_id,
            )
        )
        if len(batch) >= BATCH:
            outcome.predictions_written += _save(batch)
            batch = []
    outcome.predictions_written += _save(batch)
    return outcome


def _save(batch: list[ChurnPrediction]) -> int:
    return predictions_upsert(batch)


def churn_copy_stale_accounts(accounts: QuerySet, calibration_id: int | None) -> QuerySet:
    """The accounts of ``accounts`` whose churn copy (kept by triggers,
    health.services.churn_columns) is empty or was made under a calibration other than
    ``calibration_id`` (the one in force): the only ones the refresh need look at. The
    anti-join that finds their stale predictions then runs over those accounts only, not
    over every latest snapshot of the scope (about a second at 100,000 accounts for no
    row on most calls).

    Written as ranges and IS NULL, which the ``account_churn_calibration`` index serves: a
    ``<>`` is no index condition, and it read all 100,000 accounts (~40 ms a call)."""
    if calibration_id is None:
        other_fit = Q(churn_calibration_id__isnull=False)
    else:
        other_fit = (
            Q(churn_calibration_id__lt=calibration_id)
            | Q(churn_calibration_id__gt=calibration_id)
            | Q(churn_calibration_id__isnull=True)
        )
    return accounts.filter(Q(churn_probability__isnull=True) | other_fit).order_by()


def churn_copy_stale_ids(accounts: QuerySet, calibration_id: int | None) -> list[int]:
    # Read first, as ids: the planner cannot tell that there are usually none, and as a
    # subquery it hash-joins every snapshot and prediction before finding out.
    return list(churn_copy_stale_accounts(accounts, calibration_id).values_list("pk", flat=True))
