"""The stored form of a score result: only what the account's data decided.

``ScoreResult.to_dict()`` (schema ``health.score_result/1``) repeats, for every account,
what the scorecard version already says: each measure's label, group, input key, unit,
configured weight and band labels, the group labels and the score bands. Stored that way a
snapshot is ~6 KB of JSON and PostgreSQL moves it out of line into TOAST; a whole-portfolio
recompute spent most of its database time writing those repeats. A snapshot therefore
stores the compact document below, and readers expand it against the scorecard version the
snapshot references (versions are immutable once saved):

    {"schema": "health.snapshot_result/1",
     "scorecard": {"key": ..., "version": ...},
     "score", "band", "computed_score", "computed_band", "coverage", "confidence",
     "measures": [[raw_input, value, score, status, missing_reason, effective_weight,
                   contribution], ...],          # in the scorecard's measure order
     "groups": [[effective_weight, score], ...],  # in the scorecard's group order
     "override": {...} | null}

``result_expand(stored, scorecard)`` gives back exactly ``ScoreResult.to_dict()``: band hits,
group contributions and counts, missing inputs and imputed measures are recomputed from the
stored values with the same rules as the engine. A full ``/1`` document (stored before this
format) is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from health.scoring.bands import CategoricalBands
from health.scoring.definitions import Measure, Scorecard
from health.scoring.numbers import round_half_up
from health.scoring.result import MISSING_FIXED, RESULT_SCHEMA, SCORED

STORED_SCHEMA = "health.snapshot_result/1"
_HEAD = ("score", "band", "computed_score", "computed_band", "coverage", "confidence")


class StoredResultMismatch(ValueError):
    """The stored result does not fit the scorecard version it names."""


def result_compact(document: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a full result document (``ScoreResult.to_dict()``)."""
    return {
        "schema": STORED_SCHEMA,
        "scorecard": dict(document["scorecard"]),
        **{k: document[k] for k in _HEAD},
        "measures": [
            [
                m["raw_input"],
                m["value"],
                m["score"],
                m["status"],
                m["missing_reason"],
                m["effective_weight"],
                m["contribution"],
            ]
            for m in document["measures"]
        ],  # fmt: skip
        "groups": [[g["effective_weight"], g["score"]] for g in document["groups"]],
        "override": document.get("override"),
    }


def _band(measure: Measure, value: Any) -> dict[str, Any] | None:
    bands = measure.bands
    if isinstance(bands, CategoricalBands):
        hit = bands.lookup(value)
        return hit[1].to_dict() if hit else None
    return bands.score(float(value))[1].to_dict()


def result_expand(stored: Mapping[str, Any], scorecard: Scorecard) -> dict[str, Any]:
    """The full result document (``ScoreResult.to_dict()``) of a stored result."""
    if stored.get("schema") != STORED_SCHEMA:
        return dict(stored)
    pairs = list(scorecard.measures())
    if len(stored["measures"]) != len(pairs) or len(stored["groups"]) != len(scorecard.groups):
        raise StoredResultMismatch(
            f"stored result does not match scorecard {scorecard.key} v{scorecard.version}"
        )
    configured = scorecard.configured_weights()
    measures = []
    for (group, measure), row in zip(pairs, stored["measures"], strict=True):
        raw, value, score, status, reason, eff, contribution = row
        measures.append(
            {
                "key": measure.key,
                "label": measure.label,
                "group": group.key,
                "input_key": measure.input_key,
                "unit": measure.unit,
                "raw_input": raw,
                "value": value,
                "score": score,
                "status": status,
                "missing_reason": reason,
                "imputed": status == MISSING_FIXED,
                "configured_weight": round_half_up(configured[measure.key], 4),
                "effective_weight": eff,
                "contribution": contribution,
                "band": _band(measure, value) if status == SCORED else None,
            }
        )
    groups = []
    for group, (eff, score) in zip(scorecard.groups, stored["groups"], strict=True):
        mine = [m for m in measures if m["group"] == group.key]
        groups.append(
            {
                "key": group.key,
                "label": group.label,
                "configured_weight": round_half_up(sum(configured[m["key"]] for m in mine), 4),
                "effective_weight": eff,
                "score": score,
                "contribution": round_half_up(sum(m["contribution"] for m in mine), 2),
                "measures_scored": sum(1 for m in mine if m["status"] == SCORED),
                "measures_imputed": sum(1 for m in mine if m["imputed"]),
                "measures_missing": sum(1 for m in mine if m["status"] != SCORED),
            }
        )
    return {
        "schema": RESULT_SCHEMA,
        "scorecard": dict(stored["scorecard"]),
        **{k: stored[k] for k in _HEAD},
        "score_bands": scorecard.score_bands.to_dict(),
        "missing_inputs": list(
            dict.fromkeys(m["input_key"] for m in measures if m["status"] != SCORED)
        ),
        "imputed_measures": [m["key"] for m in measures if m["imputed"]],
        "groups": groups,
        "measures": measures,
        "override": stored.get("override"),
    }
