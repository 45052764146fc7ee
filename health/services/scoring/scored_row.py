"""One account's scored result on its way to storage, and the keys and columns both
writers (``writes``: the upsert builder; ``writes_pg``: COPY and staging) store it by."""

from __future__ import annotations

from dataclasses import dataclass

from health.scoring.compiled import FastResult

SCORE_KEY = ("account_id", "scorecard_id", "as_of")
LATEST_COLUMNS = ("account_id", "snapshot_id", "as_of")
SCORE_COLUMNS = (
    *SCORE_KEY, "computed_at", "score", "computed_score", "band", "coverage", "confidence",
    "inputs", "result", "override_id",
)  # fmt: skip
PREDICTION_KEY = ("account_id", "model_version", "as_of")
PREDICTION_COLUMNS = (
    *PREDICTION_KEY, "predicted_at", "probability", "risk_level", "factors", "coverage",
    "raw_probability", "calibration_id",
)  # fmt: skip


@dataclass
class ScoredRow:
    account_id: int
    result: FastResult
    inputs_json: str
    probability: float | None
    risk_level: str
    prediction_coverage: float
    factors_json: str
    raw_probability: float | None = None
