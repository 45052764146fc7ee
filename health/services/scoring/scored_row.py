"""One account's scored result on its way to storage (``writes`` and ``writes_pg``)."""

from __future__ import annotations

from dataclasses import dataclass

from health.scoring.compiled import FastResult


@dataclass
class ScoredRow:
    account_id: int
    result: FastResult
    inputs_json: str
    probability: float | None
    risk_level: str
    prediction_coverage: float
    factors_json: str
