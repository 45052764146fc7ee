"""support_sla_tracker: accounts with open tickets past their SLA due time now (first
response or resolution). One grouped query over open tickets; due times come from each
ticket's targets (set from the stored SLA policy when it was opened or re-prioritised)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cs_platform.core.tickets import TicketPriority
from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.services.ctas import CtaFinding
from health.models import MonitorKey
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in
from integrations.selectors.support_tickets import sla_breaches_open_by_account


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    rows = sla_breaches_open_by_account(
        now=now, priorities=thresholds["priorities"], accounts=active
    ).filter(breached__gte=thresholds["min_breached_tickets"])
    findings = []
    for r in rows.order_by("account_id"):
        severe = (
            r["urgent_or_high"] > 0 or r["breached"] >= thresholds["high_priority_breached_count"]
        )
        findings.append(
            CtaFinding(
                account_id=r["account_id"],
                owner_id=r["account__owner_id"],
                title=f"{r['breached']} open ticket(s) past their SLA",
                priority=Priority.HIGH if severe else Priority.MEDIUM,
                details={
                    "monitor": MonitorKey.SUPPORT_SLA,
                    "breached_open_tickets": r["breached"],
                    "unanswered_past_first_response": r["unanswered"],
                    "urgent_or_high": r["urgent_or_high"],
                    "oldest_opened_at": r["oldest_opened_at"],
                    "threshold_min_breached_tickets": thresholds["min_breached_tickets"],
                    "as_of": now,
                },
                due_date=due_in(now, thresholds["cta_due_days"]),
            )
        )
    return MonitorScan(accounts_scanned=active.count(), findings=findings)


SPEC = MonitorSpec(
    key=MonitorKey.SUPPORT_SLA,
    reason=CtaReason.SLA_BREACH,
    description="Open tickets past their first-response or resolution due time now; an "
    "account with at least min_breached_tickets of the listed priorities gets a CTA (high "
    "priority when one is urgent/high or there are high_priority_breached_count).",
    interval_minutes=30,
    thresholds={
        "min_breached_tickets": Threshold(1, "Breached open tickets that raise a CTA.", 1, 1000),
        "high_priority_breached_count": Threshold(
            3, "This many breached tickets make the CTA high priority.", 1, 1000
        ),
        "priorities": Threshold(
            list(TicketPriority.values),
            "Ticket priorities that count.",
            choices=tuple(TicketPriority.values),
        ),
    },
    scan=scan,
)
