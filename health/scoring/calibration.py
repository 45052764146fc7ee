"""How well predicted probabilities match what happened: Brier score and a reliability
table by decile. Pure; the backtest feeds it the churn model's probability for each closed
renewal and whether the account churned.

* Brier score = mean of (p - y)², y = 1 for an account that churned, else 0. 0 is perfect;
  always answering the base rate r scores r(1 - r) — the number to beat.
* Reliability table: rows sorted by p and cut into (up to) ten groups of equal size
  (deciles); each reports its mean predicted probability beside the observed churn rate.
  A calibrated model has the two close in every decile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from health.scoring.numbers import round_half_up


@dataclass(frozen=True)
class ReliabilityBin:
    decile: int  # 1 = lowest predicted probabilities
    rows: int
    mean_predicted: float
    observed_rate: float
    churned: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Calibration:
    rows: int
    churned: int
    brier: float | None
    brier_base_rate: float | None  # what always predicting the observed rate would score
    table: tuple[ReliabilityBin, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["table"] = [b.to_dict() for b in self.table]
        return data


def calibration_report(
    probabilities: Sequence[float], churned: Sequence[bool], bins: int = 10
) -> Calibration:
    """Brier score and reliability table of ``probabilities`` against ``churned``."""
    if len(probabilities) != len(churned):
        raise ValueError("probabilities and outcomes differ in length")
    n = len(probabilities)
    if n == 0:
        return Calibration(0, 0, None, None, ())
    ys = [1.0 if c else 0.0 for c in churned]
    brier = sum((p - y) ** 2 for p, y in zip(probabilities, ys, strict=True)) / n
    rate = sum(ys) / n
    pairs = sorted(zip(probabilities, ys, strict=True), key=lambda t: t[0])
    groups = min(bins, n)
    table = []
    for g in range(groups):
        # Equal-count groups: group g holds rows [g*n/groups, (g+1)*n/groups).
        part = pairs[g * n // groups : (g + 1) * n // groups]
        table.append(
            ReliabilityBin(
                decile=g + 1,
                rows=len(part),
                mean_predicted=round_half_up(sum(p for p, _ in part) / len(part), 4),
                observed_rate=round_half_up(sum(y for _, y in part) / len(part), 4),
                churned=int(sum(y for _, y in part)),
            )
        )
    return Calibration(
        rows=n,
        churned=int(sum(ys)),
        brier=round_half_up(brier, 4),
        brier_base_rate=round_half_up(rate * (1 - rate), 4),
        table=tuple(table),
    )
