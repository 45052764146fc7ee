"""retention_analyzer: an open renewal is due within N days (or overdue) and either the
account's health is not in a healthy band or nobody has touched it for M days.

One query over all active accounts: the next open renewal, the latest health snapshot and
the last timeline activity are correlated index lookups in the same statement."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from customers.models import (
    Account,
    AccountStatus,
    Activity,
    CtaReason,
    Priority,
)
from customers.selectors.renewals import next_renewal
from customers.services.ctas import CtaFinding
from health.models import HealthBand, MonitorKey
from health.selectors.snapshots import latest_health
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold

BANDS = tuple(HealthBand.values)


def _priority(days: int, band: str) -> str:
    if days <= 30 and band == "red":
        return Priority.URGENT
    if days <= 30 or band == "red":
        return Priority.HIGH
    return Priority.MEDIUM


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    today = now.date()
    horizon = today + timedelta(days=thresholds["renewal_within_days"])
    quiet_since = now - timedelta(days=thresholds["inactive_days"])
    last_touch = (
        Activity.objects.filter(account_id=OuterRef("pk"))
        .order_by()
        .values("account_id")
        .annotate(m=Max("occurred_at"))
        .values("m")
    )
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    rows = (
        active.annotate(
            renewal_date=next_renewal("renewal_date"),
            renewal_id=next_renewal("id"),
            renewal_arr=next_renewal("current_arr"),
            band=Coalesce(latest_health("band"), Value(HealthBand.UNKNOWN)),
            score=latest_health("score"),
            last_activity=Subquery(last_touch[:1]),
        )
        .filter(renewal_date__isnull=False, renewal_date__lte=horizon)
        .filter(
            ~Q(band__in=thresholds["healthy_bands"])
            | Q(last_activity__isnull=True)
            | Q(last_activity__lt=quiet_since)
        )
        .order_by("pk")
    )
    findings = []
    for a in rows.values(
        "pk",
        "owner_id",
        "renewal_date",
        "renewal_id",
        "renewal_arr",
        "band",
        "score",
        "last_activity",
    ):
        days = (a["renewal_date"] - today).days
        triggers = []
        if a["band"] not in thresholds["healthy_bands"]:
            triggers.append("health_not_healthy")
        if a["last_activity"] is None or a["last_activity"] < quiet_since:
            triggers.append("no_recent_activity")
        when = f"in {days} days" if days >= 0 else f"{-days} days overdue"
        due = min(today + timedelta(days=thresholds["cta_due_days"]), max(a["renewal_date"], today))
        findings.append(
            CtaFinding(
                account_id=a["pk"],
                owner_id=a["owner_id"],
                title=f"Renewal {when}: health {a['band']}"
                + (", no recent activity" if "no_recent_activity" in triggers else ""),
                priority=_priority(days, a["band"]),
                details={
                    "monitor": MonitorKey.RETENTION,
                    "triggers": triggers,
                    "renewal_id": a["renewal_id"],
                    "renewal_date": a["renewal_date"],
                    "days_to_renewal": days,
                    "renewal_arr": a["renewal_arr"],
                    "health_band": a["band"],
                    "health_score": None if a["score"] is None else float(a["score"]),
                    "last_activity_at": a["last_activity"],
                    "days_since_activity": (now - a["last_activity"]).days
                    if a["last_activity"]
                    else None,
                    "threshold_renewal_within_days": thresholds["renewal_within_days"],
                    "threshold_inactive_days": thresholds["inactive_days"],
                },
                due_date=due,
            )
        )
    return MonitorScan(accounts_scanned=active.count(), findings=findings)


SPEC = MonitorSpec(
    key=MonitorKey.RETENTION,
    reason=CtaReason.RENEWAL,
    description="Open renewal due within renewal_within_days (or overdue) while the latest "
    "health band is not one of healthy_bands or there has been no timeline activity for "
    "inactive_days.",
    interval_minutes=720,
    thresholds={
        "renewal_within_days": Threshold(
            90, "Look at open renewals due within this many days (overdue ones too).", 1, 730
        ),
        "inactive_days": Threshold(
            30, "No call, meeting, e-mail, note or review for this many days counts.", 1, 365
        ),
        "healthy_bands": Threshold(
            ["green"], "Health bands that do not need a renewal CTA on their own.", choices=BANDS
        ),
    },
    scan=scan,
)
