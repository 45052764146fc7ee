"""Fast path for ``churn_risk_predict`` over a portfolio: same numbers, compact JSON text.

``churn_predict_compact(features, calibration)`` returns ``(probability, risk_level,
coverage, factors_json, raw_probability)`` where ``json.loads(factors_json)`` equals the
stored form of the reference prediction's factors
(``health.services.scoring.churn.factors_stored``: key, status, value, z, coefficient,
log_odds, share, effect, missing_reason). Tested for equality against
``churn_risk_predict``; the reference stays the definition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from health.scoring.churn import (
    FEATURES,
    INTERCEPT,
    Z_CLIP,
    _feature_value,
    calibrated_probability,
    risk_level_for,
)
from health.scoring.compiled_bands import float_text
from health.scoring.numbers import round_half_up
from health.scoring.platt import PlattScaling

_TOTAL_WEIGHT = sum(abs(f.coefficient) for f in FEATURES)
_SPECS = tuple(
    (f, f.key, f.coefficient, f.mean, f.std, f.cap, json.dumps(f.key), repr(f.coefficient), {})
    for f in FEATURES
)
# Per feature, what one raw value turns into does not depend on the account: most values
# recur across a portfolio (0 open tickets, "current", whole days), so it is worked out
# once per value. Only JSON scalars are memoised (a bool would collide with 0/1).
_MEMO_LIMIT = 10_000  # per feature


def _v(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is float or type(value) is int:
        return repr(value)
    return json.dumps(value)


def _feature_row(spec: Any, key: str, features: Mapping[str, Any]) -> tuple:
    """(present, log_odds, rounded log_odds, sort key part, JSON up to "share")."""
    _f, _key, coef, mean, std, cap, key_json, coef_json, memo = spec
    present = key in features
    raw = features.get(key)
    kind = type(raw)
    memoisable = present and (kind is float or kind is int or kind is str)
    if memoisable:
        hit = memo.get(raw)
        if hit is not None:
            return hit
    value, reason = _feature_value(_f, raw) if present else (None, "absent")
    if value is None:
        shown = raw if isinstance(raw, str) else None
        row = (False, 0.0, 0.0, True,
               f'{{"key":{key_json},"status":"missing","value":{_v(shown)},"z":null,'
               f'"coefficient":{coef_json},"log_odds":0.0,"share":', '"effect":"missing",'
               f'"missing_reason":{_v(reason)}}}')  # fmt: skip
    else:
        if cap is not None:
            value = min(max(value, cap[0]), cap[1])
        z = max(-Z_CLIP, min(Z_CLIP, (value - mean) / std))
        lo = coef * z
        shown = raw if isinstance(raw, str) else value
        effect = "raises_risk" if lo > 0 else "lowers_risk" if lo < 0 else "neutral"
        lo_rounded = round_half_up(lo, 4)
        row = (True, lo, lo_rounded, False,
               f'{{"key":{key_json},"status":"present","value":{_v(shown)},'
               f'"z":{_v(round_half_up(z, 4))},"coefficient":{coef_json},'
               f'"log_odds":{lo_rounded!r},"share":', f'"effect":"{effect}",'
               '"missing_reason":null}')  # fmt: skip
    if memoisable and len(memo) < _MEMO_LIMIT:
        memo[raw] = row
    return row


def churn_predict_compact(
    features: Mapping[str, Any], calibration: PlattScaling | None = None
) -> tuple[float | None, str, float, str, float | None]:
    present_weight = 0.0
    rows = []
    for spec in _SPECS:
        key = spec[1]
        row = _feature_row(spec, key, features)
        if row[0]:
            present_weight += abs(spec[2])
        rows.append((row, key))
    abs_total = sum(abs(r[1]) for r, _ in rows)
    # Present factors first, then by |rounded log-odds| descending, then by key.
    rows.sort(key=lambda p: (p[0][3], -abs(p[0][2]), p[1]))
    parts = []
    for (_present, lo, _lo_rounded, _missing, head, tail), _key in rows:
        share = round_half_up(abs(lo) / abs_total, 4) if abs_total else 0.0
        parts.append(f"{head}{float_text(share)},{tail}")
    coverage = round_half_up(present_weight / _TOTAL_WEIGHT, 4)
    if present_weight == 0:
        probability = raw = None
    else:
        raw_logit = INTERCEPT + sum(r[1] for r, _ in rows)
        probability, raw = calibrated_probability(raw_logit, calibration)
    factors = "[" + ",".join(parts) + "]"
    return probability, risk_level_for(probability), coverage, factors, raw
