"""Backtesting a scorecard against recorded renewal outcomes.

"Can we trust it?" in numbers: does a low score 90 days before a renewal predict churn
(AUC), and how many churned accounts looked green (the misses that hurt most)?
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from health.scoring.numbers import round_half_up

OUTCOMES = ("renewed", "expanded", "churned", "downgraded")
LOST_OUTCOMES = frozenset({"churned", "downgraded"})


def auc(scores: Sequence[float], labels: Sequence[bool | int]) -> float | None:
    """ROC AUC of ``scores`` for ``labels`` (truthy = positive), by Mann–Whitney U.

    It is the probability that a random positive scores higher than a random negative, with
    ties counted half. Computed from average ranks, O(n log n). Returns None when either
    class is empty (AUC is undefined, not 0.5). Scores must be finite numbers.
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    values = [float(s) for s in scores]
    if any(not math.isfinite(v) for v in values):
        raise ValueError("scores must be finite numbers; filter missing scores first")
    positives = sum(1 for label in labels if label)
    negatives = len(values) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        average_rank = (i + j) / 2 + 1  # ranks are 1-based; tied values share their mean
        for k in range(i, j + 1):
            ranks[order[k]] = average_rank
        i = j + 1
    rank_sum = sum(r for r, label in zip(ranks, labels, strict=True) if label)
    u = rank_sum - positives * (positives + 1) / 2
    return u / (positives * negatives)


class BacktestRow(NamedTuple):
    """One renewal: the score and band 90 days before it, and what happened."""

    score_90d_before: float | None
    band_90d_before: str | None
    outcome: str


@dataclass(frozen=True)
class BacktestSummary:
    """See ``backtest_summary``. ``to_dict()`` is JSON-ready."""

    rows_total: int
    rows_scored: int
    rows_skipped_missing_score: int
    outcome_counts: dict[str, int]
    positives: int
    negatives: int
    auc: float | None
    auc_note: str
    churned_total: int
    churned_with_band: int
    churned_green: int
    churned_green_share: float | None
    band_outcomes: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def backtest_summary(
    rows: Iterable[BacktestRow | tuple[float | Decimal | None, str | None, str]],
) -> BacktestSummary:
    """Summarise how well scores taken 90 days before renewals predicted the outcome.

    * ``auc``: ROC AUC of ``100 - score`` (a risk score) for "lost" = churned or downgraded
      versus renewed or expanded, over rows that have a score; None if a class is empty.
      0.5 is chance, 0.7+ useful, 0.8+ strong.
    * ``churned_green_share``: churned accounts that were green 90 days before, over
      churned accounts whose band was a verdict (not None/"unknown"/"insufficient_data") —
      the misses that hurt.
    * rows without a score are counted in ``rows_skipped_missing_score``, never scored as 0
      or 50; they still count in ``outcome_counts`` and in the band table (as ``unknown``).

    An outcome outside ``OUTCOMES`` raises ValueError (a data bug must not vanish in a count).
    """
    risk: list[float] = []
    lost: list[bool] = []
    outcome_counts = dict.fromkeys(OUTCOMES, 0)
    band_outcomes: dict[str, dict[str, int]] = {}
    total = skipped = churned = churned_known = churned_green = 0
    for index, row in enumerate(rows):
        score, band, outcome = row
        if outcome not in outcome_counts:
            raise ValueError(f"row {index}: unknown outcome {outcome!r}; expected {OUTCOMES}")
        total += 1
        outcome_counts[outcome] += 1
        band_key = band if band else "unknown"
        band_outcomes.setdefault(band_key, dict.fromkeys(OUTCOMES, 0))[outcome] += 1
        if outcome == "churned":
            churned += 1
            if band_key not in ("unknown", "insufficient_data"):
                churned_known += 1
                churned_green += band_key == "green"
        if score is None:
            skipped += 1
            continue
        risk.append(100.0 - float(score))
        lost.append(outcome in LOST_OUTCOMES)
    positives = sum(lost)
    value = auc(risk, lost)
    if value is None:
        note = "AUC undefined: need at least one lost and one retained account with a score."
    else:
        value = round_half_up(value, 4)
        note = f"AUC over {len(risk)} scored renewals ({positives} lost); 0.5 is chance."
    return BacktestSummary(
        rows_total=total,
        rows_scored=len(risk),
        rows_skipped_missing_score=skipped,
        outcome_counts=outcome_counts,
        positives=positives,
        negatives=len(risk) - positives,
        auc=value,
        auc_note=note,
        churned_total=churned,
        churned_with_band=churned_known,
        churned_green=churned_green,
        churned_green_share=(
            round_half_up(churned_green / churned_known, 4) if churned_known else None
        ),
        band_outcomes=band_outcomes,
    )
