"""JSON text of a compiled score result: the same document ``ScoreResult.to_dict()`` gives."""

from __future__ import annotations

import json
from typing import Any

from health.scoring.compiled_bands import json_scalar
from health.scoring.numbers import round_half_up
from health.scoring.result import MISSING_FIXED, SCORED


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
    """Assemble the result document from the card's pre-serialised fragments."""
    group_eff, eff_json, group_eff_json = weights[1], weights[3], weights[4]
    measure_parts = []
    missing: dict[str, None] = {}
    imputed = []
    n_groups = len(group_eff)
    g_raw = [0.0] * n_groups
    g_contrib = [0.0] * n_groups
    g_scored = [0] * n_groups
    g_imputed = [0] * n_groups
    g_missing = [0] * n_groups
    for row, spec, contribution, e_json in zip(
        rows, card.measures, contributions, eff_json, strict=True
    ):
        stored, value, score_m, band_json, status, reason, eff = row
        input_key, gi, _w, _m, _f, _c, prefix, configured_json, key = spec
        if eff:
            g_raw[gi] += eff * score_m
        g_contrib[gi] += contribution
        if status == SCORED:
            g_scored[gi] += 1
        else:
            g_missing[gi] += 1
            missing[input_key] = None
            if status == MISSING_FIXED:
                g_imputed[gi] += 1
                imputed.append(key)
        measure_parts.append(
            prefix
            + json_scalar(stored)
            + ',"value":'
            + json_scalar(value)
            + ',"score":'
            + ("null" if score_m is None else repr(round_half_up(score_m, 2)))
            + ',"status":"'
            + status
            + '","missing_reason":'
            + ("null" if reason is None else '"' + reason + '"')
            + ',"imputed":'
            + ("true" if status == MISSING_FIXED else "false")
            + ',"configured_weight":'
            + configured_json
            + ',"effective_weight":'
            + e_json
            + ',"contribution":'
            + repr(contribution)
            + ',"band":'
            + (band_json or "null")
            + "}"
        )
    group_parts = []
    for gi in range(n_groups):
        eff = group_eff[gi]
        g_score = round_half_up(g_raw[gi] / eff, 1) if eff > 0 else None
        group_parts.append(
            card.group_prefix[gi]
            + group_eff_json[gi]
            + ',"score":'
            + json_scalar(g_score)
            + ',"contribution":'
            + repr(round_half_up(g_contrib[gi], 2))
            + f',"measures_scored":{g_scored[gi]},"measures_imputed":{g_imputed[gi]}'
            + f',"measures_missing":{g_missing[gi]}}}'
        )
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
        + '","score_bands":'
        + card.score_bands_json
        + ',"missing_inputs":'
        + json.dumps(list(missing))
        + ',"imputed_measures":'
        + json.dumps(imputed)
        + ',"groups":['
        + ",".join(group_parts)
        + '],"measures":['
        + ",".join(measure_parts)
        + '],"override":'
        + ("null" if override is None else json.dumps(override, separators=(",", ":")))
        + "}"
    )
