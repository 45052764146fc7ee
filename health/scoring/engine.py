"""Scoring one account against a scorecard: pure, deterministic, no I/O.

Weighting is hierarchical, as the scorecard is designed:

1. within a group, each present measure (``scored`` or ``missing_fixed``) gets its weight
   over the sum of the present measures' weights — a dropped measure's weight goes to its
   siblings, so "Sentiment" keeps its share when NPS is missing but CSAT is present;
2. a group with no present measure (of positive weight) is dropped and the group weights
   are re-normalised over the remaining groups;
3. ``effective_weight`` = effective group share × effective share within the group, so the
   effective weights of all measures sum to 1 and ``score = Σ effective_weight × score``.

``coverage`` is the share of the *configured* weight whose input was actually present;
imputed (``missing_fixed``) measures do not count. When nothing is present and nothing is
imputed the score is None and the band ``unknown`` — never a neutral 50. A score whose
coverage is below the scorecard's ``min_coverage`` gets the band ``insufficient_data``: the
number is kept (and explained), but it is not a green/yellow/red verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from health.scoring.bands import (
    BandHit,
    CategoricalBands,
    coerce_numeric,
    json_safe_input,
    normalise_category,
)
from health.scoring.definitions import UNKNOWN_BAND, Group, Measure, Scorecard
from health.scoring.numbers import round_half_up, score_from_contributions
from health.scoring.result import (
    MISSING_DROPPED,
    MISSING_FIXED,
    SCORED,
    GroupResult,
    MeasureResult,
    ScoreResult,
)

InputValue = float | int | Decimal | str | None
_ABSENT = object()


def _evaluate(
    measure: Measure, raw: object
) -> tuple[float | str | None, float | None, BandHit | None, str | None]:
    """(normalised value, score, band, missing_reason) of one measure's raw input."""
    if raw is _ABSENT:
        return None, None, None, "absent"
    if raw is None:
        return None, None, None, "null"
    if isinstance(measure.bands, CategoricalBands):
        if not isinstance(raw, str) or not raw.strip():
            return None, None, None, "invalid"
        hit = measure.bands.lookup(raw)
        if hit is None:
            return normalise_category(raw), None, None, "unrecognised"
        return normalise_category(raw), hit[0], hit[1], None
    value, reason = coerce_numeric(raw)
    if value is None:
        return None, None, None, reason
    score, band = measure.bands.score(value)
    return value, score, band, None


def score_inputs(scorecard: Scorecard, inputs: Mapping[str, InputValue]) -> ScoreResult:
    """Score one account's raw inputs against ``scorecard``.

    ``inputs`` maps input keys (``Measure.input_key``) to raw values: numbers for numeric
    measures (int, float or Decimal), text for categorical ones. A key that is absent, None,
    NaN, of the wrong type, or a category the table does not know is *missing* and follows
    the measure's policy; the result records which and why. Extra keys are ignored.

    Returns a ``ScoreResult`` with no override applied (see ``apply_override``); rounded for
    display and storage: score and group scores to 1 decimal, measure scores to 2,
    contributions to 2 (summing exactly to the score taken at 2 decimals, so within 0.05 of
    the displayed score), weights and coverage to 4.
    """
    configured = scorecard.configured_weights()
    rows: list[dict[str, Any]] = []
    for group, measure in scorecard.measures():
        raw = inputs.get(measure.input_key, _ABSENT)
        value, score, band, reason = _evaluate(measure, raw)
        if reason is None:
            status = SCORED
        elif measure.missing.policy == "fixed":
            status, score = MISSING_FIXED, measure.missing.score
        else:
            status = MISSING_DROPPED
        rows.append(
            {
                "group": group,
                "measure": measure,
                "raw": None if raw is _ABSENT else json_safe_input(raw),
                "value": value,
                "score": score,
                "band": band,
                "status": status,
                "reason": reason,
                "eff": 0.0,
            }
        )

    # Step 1: present weight per group; step 2: active groups and their total weight.
    present_weight: dict[str, float] = {}
    for row in rows:
        if row["status"] != MISSING_DROPPED:
            key = row["group"].key
            present_weight[key] = present_weight.get(key, 0.0) + row["measure"].weight
    active_groups = [g for g in scorecard.groups if present_weight.get(g.key, 0.0) > 0]
    active_total = sum(g.weight for g in active_groups)
    group_eff = {g.key: (g.weight / active_total if active_total else 0.0) for g in active_groups}

    # Step 3: effective weight of each measure over the whole score.
    for row in rows:
        gkey = row["group"].key
        if row["status"] != MISSING_DROPPED and gkey in group_eff:
            row["eff"] = group_eff[gkey] * row["measure"].weight / present_weight[gkey]

    raw_contributions = [row["eff"] * row["score"] if row["eff"] else 0.0 for row in rows]
    computed, contributions = score_from_contributions(
        raw_contributions, any_weight=active_total > 0
    )

    present_configured = sum(
        configured[row["measure"].key] for row in rows if row["status"] == SCORED
    )
    coverage = round_half_up(present_configured, 4)

    measures = tuple(
        MeasureResult(
            key=row["measure"].key,
            label=row["measure"].label,
            group=row["group"].key,
            input_key=row["measure"].input_key,
            unit=row["measure"].unit,
            raw_input=row["raw"],
            value=row["value"],
            score=None if row["score"] is None else round_half_up(row["score"], 2),
            status=row["status"],
            missing_reason=row["reason"],
            imputed=row["status"] == MISSING_FIXED,
            configured_weight=round_half_up(configured[row["measure"].key], 4),
            effective_weight=round_half_up(row["eff"], 4),
            contribution=contribution,
            band=row["band"],
        )
        for row, contribution in zip(rows, contributions, strict=True)
    )
    groups = tuple(
        _group_result(g, rows, contributions, configured, group_eff) for g in scorecard.groups
    )
    band = scorecard.score_bands.band_for(computed, coverage)
    return ScoreResult(
        scorecard_key=scorecard.key,
        scorecard_version=scorecard.version,
        score=computed,
        band=band,
        computed_score=computed,
        computed_band=band,
        coverage=coverage,
        confidence=scorecard.confidence.level_for(coverage),
        score_bands=scorecard.score_bands,
        groups=groups,
        measures=measures,
        missing_inputs=tuple(dict.fromkeys(m.input_key for m in measures if m.status != SCORED)),
        imputed_measures=tuple(m.key for m in measures if m.imputed),
    )


def _group_result(
    group: Group,
    rows: list[dict[str, Any]],
    contributions: list[float],
    configured: Mapping[str, float],
    group_eff: Mapping[str, float],
) -> GroupResult:
    mine = [(row, c) for row, c in zip(rows, contributions, strict=True) if row["group"] is group]
    eff = group_eff.get(group.key, 0.0)
    # Group score = weighted mean of its present measures (the within-group shares sum to 1).
    score = None
    if eff > 0:
        score = round_half_up(
            sum(row["eff"] * row["score"] for row, _ in mine if row["eff"]) / eff, 1
        )
    return GroupResult(
        key=group.key,
        label=group.label,
        configured_weight=round_half_up(sum(configured[row["measure"].key] for row, _ in mine), 4),
        effective_weight=round_half_up(eff, 4),
        score=score,
        contribution=round_half_up(sum(c for _, c in mine), 2),
        measures_scored=sum(1 for row, _ in mine if row["status"] == SCORED),
        measures_imputed=sum(1 for row, _ in mine if row["status"] == MISSING_FIXED),
        measures_missing=sum(1 for row, _ in mine if row["status"] != SCORED),
    )


__all__ = ["InputValue", "UNKNOWN_BAND", "score_inputs"]
