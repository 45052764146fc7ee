"""Writing a chunk's snapshots and churn predictions: COPY on PostgreSQL (``writes_pg``),
the ORM elsewhere (the embedded SQLite demo).

Both clear ``is_latest`` on the chunk's snapshots that are not newer than the new
``as_of`` (a backfill of an older date leaves the newer snapshot latest) and upsert on
``(account, scorecard, as_of)`` / ``(account, model_version, as_of)``, so recomputing the
same ``as_of`` replaces rows instead of adding them.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from cs_platform.core.upsert import upsert
from health.models import ChurnPrediction, HealthScore
from health.services.scoring.scored_row import (
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
    ids = [r.account_id for r in rows]
    HealthScore.objects.filter(account_id__in=ids, is_latest=True, as_of__lte=as_of).update(
        is_latest=False
    )
    newer = set(
        HealthScore.objects.filter(account_id__in=ids, is_latest=True).values_list(
            "account_id", flat=True
        )
    )
    upsert(
        HealthScore,
        SCORE_COLUMNS,
        [
            (
                r.account_id, scorecard_id, as_of, now, _dec(r.result.score, 1),
                _dec(r.result.computed_score, 1), r.result.band, _dec(r.result.coverage, 3),
                r.result.confidence, json.loads(r.inputs_json), json.loads(r.result.result_json),
                r.result.override_id, r.account_id not in newer,
            )
            for r in rows
        ],
        conflict=SCORE_KEY,
        update=[c for c in SCORE_COLUMNS if c not in SCORE_KEY],
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
    return predictions_upsert(predictions)


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
