"""JSON text of a compiled score result in its stored form (``health.scoring.stored``).

Written piece by piece from fragments prepared once (per measure value, per status
pattern) and remembered float texts: at 100,000 accounts the JSON encoder's float
formatting alone had become a fifth of the scoring time.
"""

from __future__ import annotations

import json
from typing import Any

from health.scoring.compiled_bands import float_text, json_scalar
from health.scoring.numbers import round_half_up


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return float_text(value) if type(value) is float else json_scalar(value)


def measure_head(entry: tuple) -> str:
    """``[raw,value,score,"status",reason,`` of one measure entry (see ``result_json``)."""
    stored, value, _score, status, reason, rounded = entry
    return (
        f"[{json_scalar(stored)},{json_scalar(value)},{json_scalar(rounded)},"
        f'"{status}",{json_scalar(reason)},'
    )


def result_json(
    card: Any,
    entries: list[tuple],
    raw_contributions: list[float],
    contributions: list[float],
    weights: tuple,
    score: float | None,
    band: str,
    computed: float | None,
    computed_band: str,
    override: dict[str, Any] | None,
) -> str:
    """The stored document; ``result_expand`` of it equals the engine's ``to_dict()``.

    ``entries`` are the measures' ``(stored raw, value, score, status, reason, score at
    2 decimals, measure_head text)``; ``weights`` the scorecard's cached weights for their
    status pattern (``[7]``: each measure's effective weight as JSON text).
    """
    group_eff = weights[1]
    # Group score = weighted mean of its present measures; a raw contribution is
    # effective weight x measure score (0 for a dropped measure), summed in measure order.
    g_raw = [0.0] * len(group_eff)
    for gi, part in zip(card.measure_groups, raw_contributions, strict=True):
        g_raw[gi] += part
    measures = ",".join(
        [
            e[6] + w + "," + float_text(c) + "]"
            for e, w, c in zip(entries, weights[7], contributions, strict=True)
        ]
    )
    groups = ",".join(
        [
            "["
            + weights[8][gi]
            + ","
            + (_number(round_half_up(g_raw[gi] / eff, 1)) if eff > 0 else "null")
            + "]"
            for gi, eff in enumerate(group_eff)
        ]
    )
    return (
        card.json_head
        + _number(score)
        + ',"band":"'
        + band
        + '","computed_score":'
        + _number(computed)
        + ',"computed_band":"'
        + computed_band
        + weights[9]
        + measures
        + '],"groups":['
        + groups
        + '],"override":'
        + ("null" if override is None else json.dumps(override, separators=(",", ":")))
        + "}"
    )
