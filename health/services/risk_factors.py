"""Risk factors of one account: churn-model contributions persisted as RiskIndicator rows.

A factor that raises the churn log-odds by at least ``threshold`` is an open indicator
(created, or updated when already open). An open indicator whose factor is present and
now below the threshold is resolved. A factor whose input is missing leaves its indicator
as it was: missing data says nothing about whether the risk went away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from health.models import ChurnPrediction, RiskIndicator
from health.scoring import FEATURE_KEYS, MODEL_VERSION
from health.selectors.churn import churn_prediction_at
from health.services.scoring import health_recompute_accounts
from health.services.scoring.churn import factors_expanded

KIND_PREFIX = "churn:"


@dataclass
class RiskFactorsOutcome:
    prediction: ChurnPrediction | None
    factors: list[dict[str, Any]]
    changes: list[tuple[RiskIndicator, str]]


def _severity(log_odds: float) -> str:
    if log_odds >= 1.0:
        return "high"
    if log_odds >= 0.5:
        return "medium"
    return "low"


def risk_factors_score(
    *, account_id: int, threshold: float, now: datetime, actor: Any, actor_label: str,
    channel: str,
) -> RiskFactorsOutcome:  # fmt: skip
    """Re-score the account now, store its prediction, and sync its risk indicators."""
    health_recompute_accounts(
        account_ids=[account_id], as_of=now, actor=actor, actor_label=actor_label, channel=channel
    )
    prediction = churn_prediction_at(account_id, now)
    factors = factors_expanded(prediction.factors) if prediction else []
    open_by_kind = {
        i.kind: i
        for i in RiskIndicator.objects.filter(
            account_id=account_id, resolved_at__isnull=True, kind__startswith=KIND_PREFIX
        )
    }
    changes: list[tuple[RiskIndicator, str]] = []
    for f in factors:
        kind = f"{KIND_PREFIX}{f['key']}"
        existing = open_by_kind.get(kind)
        if f["status"] != "present":
            continue
        details = {
            "label": f["label"],
            "log_odds": f["log_odds"],
            "z": f["z"],
            "share": f["share"],
            "why": f["why"],
            "model_version": MODEL_VERSION,
            "prediction_id": prediction.pk,
            "as_of": now.isoformat(),
        }
        value = f["value"] if isinstance(f["value"], int | float) else None
        if f["effect"] == "raises_risk" and f["log_odds"] >= threshold:
            if existing is None:
                indicator = RiskIndicator.objects.create(
                    account_id=account_id, kind=kind, severity=_severity(f["log_odds"]),
                    value=value, details=details, detected_at=now,
                )  # fmt: skip
                changes.append((indicator, "opened"))
            else:
                existing.severity = _severity(f["log_odds"])
                existing.value = value
                existing.details = details
                existing.save(update_fields=["severity", "value", "details"])
                changes.append((existing, "updated"))
        elif existing is not None:
            existing.resolved_at = now
            existing.details = {**existing.details, "resolved_with": details}
            existing.save(update_fields=["resolved_at", "details"])
            changes.append((existing, "resolved"))
    # An indicator of a factor the current model no longer has (v1's days_to_renewal) can
    # never be re-judged: it is resolved, saying why, rather than left open for ever.
    for kind, existing in open_by_kind.items():
        if prediction is not None and kind.removeprefix(KIND_PREFIX) not in FEATURE_KEYS:
            existing.resolved_at = now
            existing.details = {
                **existing.details,
                "resolved_with": {
                    "reason": f"not a factor of {MODEL_VERSION}",
                    "as_of": now.isoformat(),
                },
            }
            existing.save(update_fields=["resolved_at", "details"])
            changes.append((existing, "resolved"))
    return RiskFactorsOutcome(prediction=prediction, factors=factors, changes=changes)
