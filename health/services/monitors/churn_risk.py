"""churn_risk_monitor: the latest churn prediction reaches a probability threshold, or the
latest health snapshot is red. One query over all active accounts (the latest prediction
and snapshot are correlated index lookups in the same statement)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, Subquery

from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.services.ctas import CtaFinding
from health.models import ChurnPrediction, MonitorKey
from health.selectors.snapshots import latest_health
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    prediction = ChurnPrediction.objects.filter(account_id=OuterRef("pk")).order_by(
        "-predicted_at", "-id"
    )
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    annotated = active.annotate(
        p=Subquery(prediction.values("probability")[:1]),
        p_id=Subquery(prediction.values("id")[:1]),
        p_level=Subquery(prediction.values("risk_level")[:1]),
        p_at=Subquery(prediction.values("predicted_at")[:1]),
        p_model=Subquery(prediction.values("model_version")[:1]),
        band=latest_health("band"),
        score=latest_health("score"),
        scored_at=latest_health("as_of"),
    )
    hit = Q(p__gte=thresholds["probability_min"])
    if thresholds["include_red_band"]:
        hit |= Q(band="red")
    findings = []
    rows = annotated.filter(hit).order_by("pk")
    for a in rows.values(
        "pk", "owner_id", "p", "p_id", "p_level", "p_at", "p_model", "band", "score", "scored_at"
    ):
        p = _float(a["p"])
        triggers = []
        if p is not None and p >= thresholds["probability_min"]:
            triggers.append("probability")
        if a["band"] == "red":
            triggers.append("health_red")
        urgent = p is not None and p >= thresholds["urgent_probability"]
        if p is not None:
            title = f"Churn risk {p * 100:.0f}% ({a['p_level']})"
        else:
            title = f"Churn risk: health red (score {a['score']})"
        findings.append(
            CtaFinding(
                account_id=a["pk"],
                owner_id=a["owner_id"],
                title=title,
                priority=Priority.URGENT if urgent else Priority.HIGH,
                details={
                    "monitor": MonitorKey.CHURN_RISK,
                    "triggers": triggers,
                    "probability": p,
                    "risk_level": a["p_level"],
                    "prediction_id": a["p_id"],
                    "model_version": a["p_model"],
                    "predicted_at": a["p_at"],
                    "health_band": a["band"],
                    "health_score": _float(a["score"]),
                    "health_as_of": a["scored_at"],
                    "threshold_probability": thresholds["probability_min"],
                },
                due_date=due_in(now, thresholds["cta_due_days"]),
            )
        )
    return MonitorScan(accounts_scanned=active.count(), findings=findings)


SPEC = MonitorSpec(
    key=MonitorKey.CHURN_RISK,
    reason=CtaReason.CHURN_RISK,
    description="Latest churn prediction at or above probability_min, or (optionally) latest "
    "health band red.",
    interval_minutes=360,
    thresholds={
        "probability_min": Threshold(
            0.30,
            "Churn probability (0–1) at or above which a CTA is raised; 0.30 is where the "
            "churn model's 'high' risk level starts.",
            0,
            1,
        ),
        "urgent_probability": Threshold(
            0.50, "Probability at or above which the CTA is urgent ('critical' level).", 0, 1
        ),
        "include_red_band": Threshold(True, "Also raise for accounts whose latest band is red."),
    },
    scan=scan,
)
