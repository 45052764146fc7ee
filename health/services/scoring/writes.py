"""Writing a chunk's snapshots and churn predictions: COPY on PostgreSQL (``writes_pg``),
the ORM elsewhere (the embedded SQLite demo).

Both upsert on ``(account, scorecard, as_of)`` / ``(account, model_version, as_of)``, so
recomputing the same ``as_of`` replaces rows instead of adding them, and point each
account's ``LatestHealthScore`` at its new snapshot unless the pointer already holds a
newer ``as_of`` (a backfill of an older date leaves the newer snapshot latest).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from cs_platform.core.upsert import upsert
from health.models import ChurnPrediction, HealthScore, LatestHealthScore
from health.services.scoring.scored_row import (
    LATEST_COLUMNS,
    PREDICTION_COLUMNS,
    PREDICTION_KEY,
    SCORE_COLUMNS,
    SCORE_KEY,
    ScoredRow,
)
from health.services.scoring.writes_pg import write_postgresql


def write_chunk(
    *, rows: list[ScoredRow], scorecard_id: int, as_of: datetime, now: datetime, model_version: str,
    calibration_id: int | None = None,
) -> int:  # fmt: skip
    """Persist ``rows``; returns the number of predictions written. Caller holds the
    transaction."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return write_postgresql(rows, scorecard_id, as_of, now, model_version, calibration_id)
    return _write_orm(rows, scorecard_id, as_of, now, model_version, calibration_id)


def _dec(value: float | None, places: int) -> Decimal | None:
    # Half-up, as PostgreSQL rounds the same text on the COPY path.
    if value is None:
        return None
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _write_orm(
    rows: list[ScoredRow], scorecard_id: int, as_of: datetime, now: datetime, model_version: str,
    calibration_id: int | None,
) -> int:  # fmt: skip
    written = upsert(
        HealthScore,
        SCORE_COLUMNS,
        [
            (
                r.account_id, scorecard_id, as_of, now, _dec(r.result.score, 1),
                _dec(r.result.computed_score, 1), r.result.band, _dec(r.result.coverage, 3),
                r.result.confidence, json.loads(r.inputs_json), json.loads(r.result.result_json),
                r.result.override_id,
            )
            for r in rows
        ],
        conflict=SCORE_KEY,
        update=[c for c in SCORE_COLUMNS if c not in SCORE_KEY],
        returning=("account_id", "id"),
    )  # fmt: skip
    predictions = [
        ChurnPrediction(
            account_id=r.account_id,
            as_of=as_of,
            predicted_at=now,
            probability=_dec(r.probability, 4),
            risk_level=r.risk_level,
            model_version=model_version,
            factors=json.loads(r.factors_json),
            coverage=_dec(r.prediction_coverage, 3),
            raw_probability=_dec(r.raw_probability, 4),
            calibration_id=calibration_id,
        )
        for r in rows
        if r.probability is not None
    ]
    # Before the pointers move, as on PostgreSQL (writes_pg): the pointer's trigger copies
    # the latest score and its prediction onto the account together.
    count = predictions_upsert(predictions)
    latest_pointers_move(sorted(written), as_of)
    return count


def latest_pointers_move(snapshots: list[tuple[int, int]], as_of: datetime) -> None:
    """Point each account of ``(account_id, snapshot_id)`` at that snapshot (taken at
    ``as_of``) unless its pointer holds a newer one."""
    upsert(
        LatestHealthScore,
        LATEST_COLUMNS,
        [(account_id, snapshot_id, as_of) for account_id, snapshot_id in snapshots],
        conflict=("account_id",),
        # Not assignable through `update`: the condition keeps the newest as_of.
        assignments="snapshot_id = EXCLUDED.snapshot_id, as_of = EXCLUDED.as_of"
        " WHERE t.as_of <= EXCLUDED.as_of",
    )


def predictions_upsert(predictions: list[ChurnPrediction]) -> int:
    """Store predictions, replacing any of the same account, model version and as_of."""
    upsert(
        ChurnPrediction,
        PREDICTION_COLUMNS,
        [tuple(getattr(p, c) for c in PREDICTION_COLUMNS) for p in predictions],
        conflict=PREDICTION_KEY,
        update=[c for c in PREDICTION_COLUMNS if c not in PREDICTION_KEY],
    )
    return len(predictions)
