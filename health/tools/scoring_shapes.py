"""Turning stored snapshot/prediction JSON into the scoring tools' output rows."""

from __future__ import annotations

from typing import Any

from health.models import HealthScore
from health.scoring import Explanation


def _input_record(inputs: dict[str, Any], key: str) -> dict[str, Any]:
    record = (inputs or {}).get(key)
    return record if isinstance(record, dict) else {"value": record}


def score_output_fields(result: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """Score, band, coverage, measures, groups, missing inputs and override of a result."""
    measures = []
    for m in result.get("measures", []):
        record = _input_record(inputs, m["input_key"])
        measures.append(
            {
                "key": m["key"],
                "label": m["label"],
                "group": m["group"],
                "input_key": m["input_key"],
                "input": m["raw_input"],
                "input_as_of": record.get("as_of"),
                "unit": m["unit"],
                "score": m["score"],
                "status": m["status"],
                "missing_reason": record.get("missing") or m["missing_reason"],
                "configured_weight": m["configured_weight"],
                "effective_weight": m["effective_weight"],
                "contribution": m["contribution"],
                "band": (m.get("band") or {}).get("label"),
            }
        )
    groups = [
        {k: g[k] for k in ("key", "label", "score", "configured_weight", "effective_weight",
                           "contribution")}
        for g in result.get("groups", [])
    ]  # fmt: skip
    missing = [
        {
            "input_key": key,
            "reason": _input_record(inputs, key).get("missing")
            or next(
                (m["missing_reason"] for m in result["measures"] if m["input_key"] == key),
                "absent",
            ),
        }
        for key in result.get("missing_inputs", [])
    ]
    o = result.get("override")
    override = None
    if o:
        override = {
            "override_id": o.get("override_id"),
            "status": o["status"],
            "applied": o["applied"],
            "score": o["score"],
            "reason": o["reason"],
            "author": o["author"],
            "expires_at": o.get("expires_at"),
        }
    return {
        "score": result.get("score"),
        "computed_score": result.get("computed_score"),
        "band": result.get("band", "unknown"),
        "coverage": result.get("coverage", 0.0),
        "confidence": result.get("confidence", "low"),
        "measures": measures,
        "groups": groups,
        "missing_inputs": missing,
        "override": override,
    }


def snapshot_ref(s: HealthScore) -> dict[str, Any]:
    return {
        "snapshot_id": s.pk,
        "as_of": s.as_of,
        "score": None if s.score is None else float(s.score),
        "computed_score": None if s.computed_score is None else float(s.computed_score),
        "band": s.band,
        "coverage": float(s.coverage),
        "scorecard": str(s.scorecard),
    }


def measure_change_rows(e: Explanation) -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "label": c.label,
            "change": c.change,
            "input_before": c.input_before,
            "input_after": c.input_after,
            "score_before": c.score_before,
            "score_after": c.score_after,
            "contribution_before": c.contribution_before,
            "contribution_after": c.contribution_after,
            "contribution_delta": c.contribution_delta,
            "like_delta": c.like_delta,
            "reason": c.reason,
        }
        for c in e.measures
    ]


def factor_rows(factors: list[dict[str, Any]], *, present_only: bool = False) -> list[dict]:
    rows = [
        {
            "key": f["key"],
            "label": f["label"],
            "status": f["status"],
            "value": f.get("value"),
            "log_odds": f["log_odds"],
            "share": f["share"],
            "effect": f["effect"],
            "why": f["why"],
        }
        for f in factors
        if not present_only or f["status"] == "present"
    ]
    return sorted(rows, key=lambda r: (r["status"] != "present", -abs(r["log_odds"])))
