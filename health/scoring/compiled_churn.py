"""Fast path for ``churn_risk_predict`` over a portfolio: same numbers, compact JSON text.

``churn_predict_compact(features)`` returns ``(probability, risk_level, coverage,
factors_json)`` where ``json.loads(factors_json)`` equals the stored form of the reference
prediction's factors (``health.services.scoring.churn.factors_stored``: key, status, value,
z, coefficient, log_odds, share, effect, missing_reason). Tested for equality against
``churn_risk_predict``; the reference stays the definition.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from health.scoring.churn import FEATURES, INTERCEPT, Z_CLIP, _feature_value, risk_level_for
from health.scoring.numbers import round_half_up

_TOTAL_WEIGHT = sum(abs(f.coefficient) for f in FEATURES)
_SPECS = tuple(
    (f, f.key, f.coefficient, f.mean, f.std, f.cap, json.dumps(f.key), repr(f.coefficient))
    for f in FEATURES
)


def _v(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is float or type(value) is int:
        return repr(value)
    return json.dumps(value)


def churn_predict_compact(
    features: Mapping[str, Any],
) -> tuple[float | None, str, float, str]:
    present_weight = 0.0
    rows = []
    for spec, key, coef, mean, std, cap, key_json, coef_json in _SPECS:
        raw = features.get(key)
        value, reason = _feature_value(spec, raw) if key in features else (None, "absent")
        if value is None:
            rows.append((key, key_json, coef_json, raw if isinstance(raw, str) else None,
                         None, 0.0, reason))  # fmt: skip
            continue
        present_weight += abs(coef)
        if cap is not None:
            value = min(max(value, cap[0]), cap[1])
        z = max(-Z_CLIP, min(Z_CLIP, (value - mean) / std))
        shown = raw if isinstance(raw, str) else value
        rows.append((key, key_json, coef_json, shown, z, coef * z, None))
    abs_total = sum(abs(r[5]) for r in rows)
    rounded = [(round_half_up(r[5], 4), r) for r in rows]
    order = sorted(rounded, key=lambda p: (p[1][4] is None, -abs(p[0]), p[1][0]))
    parts = []
    for lo_rounded, (_key, key_json, coef_json, shown, z, lo, reason) in order:
        if z is None:
            status, effect = "missing", "missing"
        else:
            status = "present"
            effect = "raises_risk" if lo > 0 else "lowers_risk" if lo < 0 else "neutral"
        share = round_half_up(abs(lo) / abs_total, 4) if abs_total else 0.0
        parts.append(
            f'{{"key":{key_json},"status":"{status}","value":{_v(shown)},'
            f'"z":{_v(None if z is None else round_half_up(z, 4))},"coefficient":{coef_json},'
            f'"log_odds":{lo_rounded!r},"share":{share!r},"effect":"{effect}",'
            f'"missing_reason":{_v(reason)}}}'
        )
    coverage = round_half_up(present_weight / _TOTAL_WEIGHT, 4)
    if present_weight == 0:
        probability = None
    else:
        raw_logit = INTERCEPT + sum(r[5] for r in rows)
        probability = round_half_up(1.0 / (1.0 + math.exp(-raw_logit)), 4)
    return probability, risk_level_for(probability), coverage, "[" + ",".join(parts) + "]"
