"""nps_csat_monitor: detractor NPS answers or low CSAT answers in the last N days.

Evidence-based rather than cool-down based: once a CSM closes the CTA, only answers given
after that raise a new one. One grouped query over all survey answers in the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.services.ctas import CtaFinding
from health.models import MonitorKey
from health.selectors.satisfaction import low_satisfaction_by_account
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    days = thresholds["window_days"]
    rows = (
        low_satisfaction_by_account(
            since=now - timedelta(days=days),
            nps_max=thresholds["nps_detractor_max"],
            csat_max=thresholds["csat_max"],
            after_closed_cta_reason=CtaReason.LOW_SATISFACTION,
        )
        .filter(account__status=AccountStatus.ACTIVE)
        .order_by("account_id")
    )
    findings = []
    for r in rows:
        parts = []
        if r["low_nps_answers"]:
            parts.append(f"{r['low_nps_answers']} detractor NPS (lowest {r['lowest_nps']})")
        if r["low_csat_answers"]:
            parts.append(f"{r['low_csat_answers']} low CSAT (lowest {r['lowest_csat']})")
        severe = (
            r["lowest_nps"] is not None and r["lowest_nps"] <= thresholds["high_nps_max"]
        ) or (r["lowest_csat"] is not None and r["lowest_csat"] <= 1)
        findings.append(
            CtaFinding(
                account_id=r["account_id"],
                owner_id=r["account__owner_id"],
                title="Low satisfaction: " + ", ".join(parts),
                priority=Priority.HIGH if severe else Priority.MEDIUM,
                details={
                    "monitor": MonitorKey.NPS_CSAT,
                    "window_days": days,
                    "detractor_nps_answers": r["low_nps_answers"],
                    "lowest_nps_answer": r["lowest_nps"],
                    "low_csat_answers": r["low_csat_answers"],
                    "lowest_csat_answer": r["lowest_csat"],
                    "latest_low_answer_at": r["latest_low_at"],
                    "threshold_nps_max": thresholds["nps_detractor_max"],
                    "threshold_csat_max": thresholds["csat_max"],
                },
                due_date=due_in(now, thresholds["cta_due_days"]),
            )
        )
    return MonitorScan(
        accounts_scanned=Account.objects.filter(status=AccountStatus.ACTIVE).count(),
        findings=findings,
    )


SPEC = MonitorSpec(
    key=MonitorKey.NPS_CSAT,
    reason=CtaReason.LOW_SATISFACTION,
    description="Detractor NPS answers (0–nps_detractor_max) or CSAT answers ≤ csat_max in "
    "the last window_days; answers older than the last closed CTA are ignored.",
    interval_minutes=60,
    thresholds={
        "window_days": Threshold(30, "Look-back window for survey answers, in days.", 1, 365),
        "nps_detractor_max": Threshold(
            6, "Highest NPS answer (0–10) that counts as a detractor.", 0, 10
        ),
        "csat_max": Threshold(2, "Highest CSAT answer (1–5) that counts as dissatisfied.", 1, 5),
        "high_nps_max": Threshold(
            3, "NPS answers at or below this (or a CSAT of 1) make the CTA high priority.", 0, 10
        ),
        "cooldown_days": Threshold(
            0,
            "Extra quiet period after a closed CTA (evidence older than the closure is "
            "already ignored).",
            0,
            365,
        ),
    },
    scan=scan,
)
