"""usage_drop_alerts: active-user days in the last window fell by at least X % against the
window before. One grouped query over every active account's usage rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.services.ctas import CtaFinding
from health.models import MonitorKey
from health.scoring.numbers import round_half_up
from health.selectors.usage import usage_change_by_account
from health.selectors.usage_sources import usage_source_q
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    window = thresholds["window_days"]
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    rows = usage_change_by_account(
        today=now.date(),
        window_days=window,
        account_qs=active,
        covered=usage_source_q(now, prefix="account__"),
    )
    hits = rows.filter(
        change_pct__lte=-thresholds["drop_pct"],
        users_prev__gte=thresholds["min_prior_avg_dau"] * window,
    ).order_by("account_id")
    findings = []
    for r in hits:
        drop = round_half_up(-r["change_pct"], 1)
        last, prev = r["users_last"] or 0, r["users_prev"]
        findings.append(
            CtaFinding(
                account_id=r["account_id"],
                owner_id=r["account__owner_id"],
                title=f"Usage dropped {drop:g}% over {window} days",
                priority=Priority.HIGH
                if drop >= thresholds["high_priority_drop_pct"]
                else Priority.MEDIUM,
                details={
                    "monitor": MonitorKey.USAGE_DROP,
                    "window_days": window,
                    "drop_pct": drop,
                    "active_user_days_last": last,
                    "active_user_days_prior": prev,
                    "avg_dau_last": round_half_up(last / window, 1),
                    "avg_dau_prior": round_half_up(prev / window, 1),
                    "days_with_data_last": r["days_last"],
                    "days_with_data_prior": r["days_prev"],
                    # covered: a reporting analytics source, so days without rows are
                    # zero usage; otherwise only days with data are compared.
                    "usage_source_reporting": bool(r["covered"]),
                    "days_without_usage_last": window - r["days_last"] if r["covered"] else 0,
                    "threshold_drop_pct": thresholds["drop_pct"],
                    "as_of": now.date(),
                },
                due_date=due_in(now, thresholds["cta_due_days"]),
            )
        )
    return MonitorScan(
        accounts_scanned=active.count(),
        findings=findings,
        details={
            "accounts_with_baseline": rows.count(),
            # Silent with no reporting source: no data, not a drop (nothing to judge).
            "accounts_silent_no_data": rows.filter(covered=0, days_last=0).count(),
        },
    )


SPEC = MonitorSpec(
    key=MonitorKey.USAGE_DROP,
    reason=CtaReason.USAGE_DROP,
    description="Active-user days in the last window fell by at least drop_pct % against the "
    "window before (accounts without a prior-window baseline are not judged). With a "
    "reporting analytics source a silent day counts as zero usage; without one, only days "
    "with data are compared and a silent account is 'no data', not a drop.",
    interval_minutes=360,
    thresholds={
        "window_days": Threshold(30, "Length of each compared window, in days.", 7, 90),
        "drop_pct": Threshold(30.0, "Minimum drop, in %, that raises a CTA.", 1, 100),
        "high_priority_drop_pct": Threshold(
            50.0, "Drops of at least this % get high priority (others medium).", 1, 100
        ),
        "min_prior_avg_dau": Threshold(
            1.0,
            "Ignore accounts whose prior-window average daily active users is below this "
            "(tiny baselines swing by large percentages).",
            0,
            100_000,
        ),
    },
    scan=scan,
)
