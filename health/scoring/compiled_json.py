"""JSON text of a compiled score result in its stored form (``health.scoring.stored``)."""

from __future__ import annotations

import json
from typing import Any

from health.scoring.numbers import round_half_up

# One C-encoder pass over plain lists: building the text piece by piece in Python cost
# several times more. Floats are written as repr(), exactly as the reference's json.dumps.
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def result_json(
    card: Any,
    rows: list[list[Any]],
    contributions: list[float],
    weights: tuple,
    score: float | None,
    band: str,
    computed: float | None,
    computed_band: str,
    coverage: float,
    confidence: str,
    override: dict[str, Any] | None,
) -> str:
    """The stored document; ``result_expand`` of it equals the engine's ``to_dict()``."""
    group_eff, eff_rounded, group_eff_rounded = weights[1], weights[3], weights[4]
    g_raw = [0.0] * len(group_eff)
    measures = []
    for row, spec, contribution, e_rounded in zip(
        rows, card.measures, contributions, eff_rounded, strict=True
    ):
        stored, value, score_m, _band, status, reason, eff = row
        if eff:
            g_raw[spec[1]] += eff * score_m
        measures.append(
            [
                stored,
                value,
                None if score_m is None else round_half_up(score_m, 2),
                status,
                reason,
                e_rounded,
                contribution,
            ]
        )
    groups = [
        [group_eff_rounded[gi], round_half_up(g_raw[gi] / eff, 1) if eff > 0 else None]
        for gi, eff in enumerate(group_eff)
    ]
    return _dumps(
        {
            "schema": card.stored_schema,
            "scorecard": card.scorecard_ref,
            "score": score,
            "band": band,
            "computed_score": computed,
            "computed_band": computed_band,
            "coverage": coverage,
            "confidence": confidence,
            "measures": measures,
            "groups": groups,
            "override": override,
        }
    )
