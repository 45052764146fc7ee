"""cohort_drift_monitor: a cohort (tier, industry, region, owner, segment) whose median
weekly usage change left its own normal week-to-week variation — a systemic problem caught
before single accounts turn red. One CTA per drifting cohort, for a CS manager, on the
account that drives the move most; the rule is ``health.scoring.cohort_drift``.

Two queries read the data whatever the portfolio size: weekly active-user totals per
active account (one grouped query of conditional sums) and the accounts' cohort fields;
a third reads current segment memberships when segments are a dimension.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Max, Q, Sum, Value, When

from cs_platform.core.models import Role
from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.services.ctas import CtaFinding
from health.models import MonitorKey, SegmentMembership, UsageDaily
from health.scoring.cohort_drift import cohort_drift
from health.selectors.usage_sources import usage_source_q
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in

DIMENSIONS = ("tier", "industry", "region", "owner", "segment")


def _weekly_usage(accounts: Any, today: Any, weeks: int, now: datetime) -> dict[int, list]:
    """Per active account, active-user totals of the last ``weeks`` 7-day weeks (newest
    first). A week without rows is 0 for an account covered by a reporting analytics
    source, and unknown (None) otherwise."""
    sums = {
        f"w{k}": Sum(
            "active_users",
            filter=Q(
                date__lte=today - timedelta(days=7 * k),
                date__gt=today - timedelta(days=7 * (k + 1)),
            ),
        )
        for k in range(weeks)
    }
    covered = usage_source_q(now, prefix="account__")
    rows = (
        UsageDaily.objects.filter(
            account_id__in=accounts.values("pk"),
            date__gt=today - timedelta(days=7 * weeks),
            date__lte=today,
        )
        .order_by()
        .values("account_id")
        .annotate(
            **sums,
            covered=Max(
                Case(When(covered, then=Value(1)), default=Value(0)), output_field=IntegerField()
            ),
        )
    )
    out = {}
    for r in rows:
        fill = 0 if r["covered"] else None
        out[r["account_id"]] = [
            r[f"w{k}"] if r[f"w{k}"] is not None else fill for k in range(weeks)
        ]
    return out


def _cohorts(account_ids: list[int], dimensions: list[str]) -> dict[tuple[str, str], list[int]]:
    cohorts: dict[tuple[str, str], list[int]] = defaultdict(list)
    fields = {"tier": "tier", "industry": "industry", "region": "region", "owner": "owner_id"}
    wanted = [d for d in dimensions if d in fields]
    if wanted:
        for row in Account.objects.filter(pk__in=account_ids).values(
            "pk", *[fields[d] for d in wanted]
        ):
            for d in wanted:
                value = row[fields[d]]
                if value not in (None, ""):
                    cohorts[(d, str(value))].append(row["pk"])
    if "segment" in dimensions:
        for account_id, key in SegmentMembership.objects.filter(
            account_id__in=account_ids, exited_at__isnull=True
        ).values_list("account_id", "segment__key"):
            cohorts[("segment", key)].append(account_id)
    return cohorts


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    today = now.date()
    weeks = thresholds["baseline_weeks"] + 2
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    usage = _weekly_usage(active, today, weeks, now)
    cohorts = _cohorts(sorted(usage), list(thresholds["dimensions"]))
    names = dict(Account.objects.filter(pk__in=list(usage)).values_list("pk", "name"))
    owners = dict(Account.objects.filter(pk__in=list(usage)).values_list("pk", "owner_id"))
    manager = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.MANAGER)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    drifts = []
    for (dimension, value), members in sorted(cohorts.items()):
        drift = cohort_drift(
            {a: usage[a] for a in members},
            sigma=thresholds["sigma"],
            min_move_pct=thresholds["min_move_pct"],
            min_std_pct=thresholds["min_std_pct"],
            min_accounts=thresholds["min_accounts"],
        )
        if drift is not None and drift.drivers:
            drifts.append((dimension, value, drift))
    # A CTA hangs on an account (one open per account and reason): the cohort's top driver.
    # When two cohorts share it, the larger move keeps it and names the other.
    drifts.sort(key=lambda t: (-abs(t[2].move_pct), t[0], t[1]))
    findings: dict[int, CtaFinding] = {}
    for dimension, value, drift in drifts:
        anchor = drift.drivers[0][0]
        cohort = {"dimension": dimension, "value": value, "accounts": drift.accounts}
        if anchor in findings:
            findings[anchor].details["also_drifting"].append(cohort)
            continue
        findings[anchor] = CtaFinding(
            account_id=anchor,
            owner_id=manager or owners.get(anchor),
            title=(
                f"Cohort {dimension}={value}: median weekly usage {drift.move_pct:+g}% "
                f"(normal {drift.baseline_mean_pct:+g}% ± {drift.baseline_std_pct:g}), "
                f"{drift.accounts} accounts"
            )[:200],
            priority=Priority.HIGH if drift.move_pct < 0 else Priority.MEDIUM,
            details={
                "monitor": MonitorKey.COHORT_DRIFT,
                "cohort": cohort,
                "move_pct": drift.move_pct,
                "baseline_mean_pct": drift.baseline_mean_pct,
                "baseline_std_pct": drift.baseline_std_pct,
                "z": drift.z,
                "baseline_weeks": thresholds["baseline_weeks"],
                "drivers": [
                    {"account_id": a, "name": names.get(a), "change_pct": c}
                    for a, c in drift.drivers
                ],
                "also_drifting": [],
                "as_of": today,
            },
            due_date=due_in(now, thresholds["cta_due_days"]),
        )
    return MonitorScan(
        accounts_scanned=len(usage),
        findings=list(findings.values()),
        details={"cohorts_checked": len(cohorts), "cohorts_drifting": len(drifts)},
    )


SPEC = MonitorSpec(
    key=MonitorKey.COHORT_DRIFT,
    reason=CtaReason.COHORT_DRIFT,
    description="A cohort's median week-over-week usage change left its own normal variation "
    "(mean ± sigma × std of the baseline weeks' medians): one CTA for a CS manager naming the "
    "cohort, the move and the accounts driving it.",
    interval_minutes=1440,
    thresholds={
        "dimensions": Threshold(
            list(DIMENSIONS), "Cohort dimensions to check.", choices=DIMENSIONS
        ),
        "baseline_weeks": Threshold(8, "Weeks of normal variation to compare against.", 3, 26),
        "sigma": Threshold(3.0, "How many standard deviations count as drift.", 1, 10),
        "min_move_pct": Threshold(
            15.0, "Smallest median weekly change, in %, worth a CTA.", 1, 100
        ),
        "min_std_pct": Threshold(
            3.0,
            "Floor on the baseline's std, in %, so a flat cohort's wobble is no drift.",
            0,
            50,
        ),
        "min_accounts": Threshold(5, "Smallest cohort judged.", 2, 10_000),
    },
    scan=scan,
)
