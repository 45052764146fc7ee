"""JSON text of a compiled score result in its stored form (``health.scoring.stored``)."""

from __future__ import annotations

import json
from typing import Any

from health.scoring.compiled_bands import json_scalar
from health.scoring.numbers import round_half_up


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
    group_eff, eff_json, group_eff_json = weights[1], weights[3], weights[4]
    g_raw = [0.0] * len(group_eff)
    measure_parts = []
    for row, spec, contribution, e_json in zip(
        rows, card.measures, contributions, eff_json, strict=True
    ):
        stored, value, score_m, _band, status, reason, eff = row
        if eff:
            g_raw[spec[1]] += eff * score_m
        measure_parts.append(
            "["
            + json_scalar(stored)
            + ","
            + json_scalar(value)
            + ","
            + ("null" if score_m is None else repr(round_half_up(score_m, 2)))
            + ',"'
            + status
            + '",'
            + ("null" if reason is None else '"' + reason + '"')
            + ","
            + e_json
            + ","
            + repr(contribution)
            + "]"
        )
    group_parts = [
        "["
        + group_eff_json[gi]
        + ","
        + (json_scalar(round_half_up(g_raw[gi] / eff, 1)) if eff > 0 else "null")
        + "]"
        for gi, eff in enumerate(group_eff)
    ]
    return (
        card.head
        + '"score":'
        + json_scalar(score)
        + ',"band":"'
        + band
        + '","computed_score":'
        + json_scalar(computed)
        + ',"computed_band":"'
        + computed_band
        + '","coverage":'
        + repr(coverage)
        + ',"confidence":"'
        + confidence
        + '","measures":['
        + ",".join(measure_parts)
        + '],"groups":['
        + ",".join(group_parts)
        + '],"override":'
        + ("null" if override is None else json.dumps(override, separators=(",", ":")))
        + "}"
    )
