"""Churn features from a scored account, and the compact form a ChurnPrediction stores."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from health.scoring import FEATURES, ChurnPrediction, churn_risk_predict
from health.scoring.churn import factor_reason
from health.scoring.platt import PlattScaling

_FEATURE_BY_KEY = {f.key: f for f in FEATURES}
# Everything the churn model reads besides the health score comes straight from the inputs.
_INPUT_FEATURES = tuple(f.key for f in FEATURES if f.key != "health_score")


def churn_features(computed_score: float | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The model's features: the *computed* health score (what the data says; an override
    is a person's judgement, not a signal) plus the raw inputs it shares with the scorecard."""
    features: dict[str, Any] = {"health_score": computed_score}
    for key in _INPUT_FEATURES:
        features[key] = values.get(key)
    return features


def churn_predict_for(
    computed_score: float | None, values: Mapping[str, Any], calibration: PlattScaling | None
) -> ChurnPrediction:
    return churn_risk_predict(churn_features(computed_score, values), calibration)


def factors_stored(prediction: ChurnPrediction) -> list[dict[str, Any]]:
    """Factors as stored: the per-account numbers only. Labels and the "why" line follow
    from the model version's constants (``health.scoring.churn.FEATURES``) and the stored
    effect and value, and are rebuilt on read by ``factors_expanded``; storing them
    100,000 times a day would only cost I/O."""
    return [
        {
            "key": f.key,
            "status": f.status,
            "value": f.value,
            "z": f.z,
            "coefficient": f.coefficient,
            "log_odds": f.log_odds,
            "share": f.share,
            "effect": f.effect,
            "missing_reason": f.missing_reason,
        }
        for f in prediction.factors
    ]


def factors_json(prediction: ChurnPrediction) -> str:
    return json.dumps(factors_stored(prediction), separators=(",", ":"))


def factors_expanded(stored: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored factors with their label and explanation put back."""
    out = []
    for f in stored:
        spec = _FEATURE_BY_KEY.get(f.get("key"))
        out.append(
            {
                **f,
                "label": spec.label if spec else f.get("key"),
                "why": factor_reason(
                    f.get("key", ""), f.get("effect", ""), f.get("value"), f.get("missing_reason")
                ),
            }
        )
    return out
