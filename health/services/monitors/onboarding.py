"""onboarding_progress: accounts whose active onboarding plan is stalled (a blocked
milestone), has a milestone overdue by overdue_days or more, or has not moved for
idle_days. One grouped query over the milestones of active plans."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.selectors.onboarding import stalled_onboarding_by_account
from customers.services.ctas import CtaFinding
from health.models import MonitorKey
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    today = now.date()
    rows = stalled_onboarding_by_account(
        accounts=active,
        overdue_before=today - timedelta(days=thresholds["overdue_days"]),
        idle_since=now - timedelta(days=thresholds["idle_days"]),
        today=today,
    )
    findings = []
    for r in rows:
        reasons = []
        if r["blocked"]:
            reasons.append(f"{r['blocked']} blocked")
        if r["overdue"]:
            reasons.append(f"{r['overdue']} overdue (up to {r['max_days_overdue']} days)")
        if r["idle"]:
            reasons.append(f"no progress for {thresholds['idle_days']}+ days")
        severe = (
            r["blocked"] > 0
            or (r["max_days_overdue"] or 0) >= thresholds["high_priority_overdue_days"]
        )
        findings.append(
            CtaFinding(
                account_id=r["account_id"],
                owner_id=r["owner_id"],
                title="Onboarding at risk: " + ", ".join(reasons),
                priority=Priority.HIGH if severe else Priority.MEDIUM,
                details={
                    "monitor": MonitorKey.ONBOARDING,
                    "plan_ids": r["plan_ids"],
                    "blocked_milestones": r["blocked"],
                    "overdue_milestones": r["overdue"],
                    "max_days_overdue": r["max_days_overdue"],
                    "last_progress_at": r["last_progress_at"],
                    "threshold_overdue_days": thresholds["overdue_days"],
                    "threshold_idle_days": thresholds["idle_days"],
                },
                due_date=due_in(now, thresholds["cta_due_days"]),
            )
        )
    return MonitorScan(accounts_scanned=active.count(), findings=findings)


SPEC = MonitorSpec(
    key=MonitorKey.ONBOARDING,
    reason=CtaReason.ONBOARDING_STALLED,
    description="Active onboarding plans with a blocked milestone, a milestone overdue by "
    "overdue_days or more, or no milestone started or finished for idle_days.",
    interval_minutes=360,
    thresholds={
        "overdue_days": Threshold(7, "Days past its due date before a milestone counts.", 0, 365),
        "idle_days": Threshold(
            21, "Days without a milestone started or finished that count as idle.", 1, 365
        ),
        "high_priority_overdue_days": Threshold(
            21, "A milestone this late (or a blocked one) makes the CTA high priority.", 1, 365
        ),
    },
    scan=scan,
)
