"""cohort_drift_monitor: a cohort (tier, industry, region, owner, segment) whose median
weekly usage change, or whose median health score, left its own normal week-to-week
variation — a systemic problem caught before single accounts turn red. One CTA per
drifting cohort, for a CS manager, on the account that drives the move most; the rules are
``health.scoring.cohort_drift`` (``cohort_drift`` for usage in %, ``cohort_health_drift``
for health in score points).

A fixed number of queries read the data whatever the portfolio size: weekly active-user
totals per active account and each account's mean computed health score per week under
the active default scorecard (one grouped query of conditional aggregates each), the
accounts' cohort fields, and current segment memberships when segments are a dimension.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Case, IntegerField, Max, Q, Sum, Value, When

from cs_platform.core.models import Role
from customers.models import Account, AccountStatus, CtaReason, Priority
from customers.services.ctas import CtaFinding
from health.models import HealthScore, MonitorKey, Scorecard, SegmentMembership, UsageDaily
from health.scoring.cohort_drift import CohortDrift, HealthDrift, cohort_drift, cohort_health_drift
from health.selectors.usage_sources import usage_source_q
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in

DIMENSIONS = ("tier", "industry", "region", "owner", "segment")
SIGNALS = ("usage", "health")


def _weekly_health(accounts: Any, now: datetime, weeks: int) -> dict[int, list]:
    """Per active account, its mean computed health score in each of the last ``weeks``
    7-day weeks (newest first; None: no snapshot that week), under the active default
    scorecard only: a new scorecard version is not a cohort moving. The computed score,
    not an override: a person's judgement is not the cohort's data."""
    card = Scorecard.objects.filter(key="default", is_active=True).values_list("pk", flat=True)
    means = {
        f"w{k}": Avg(
            "computed_score",
            filter=Q(
                as_of__lte=now - timedelta(days=7 * k), as_of__gt=now - timedelta(days=7 * (k + 1))
            ),
        )  # fmt: skip
        for k in range(weeks)
    }
    rows = (
        HealthScore.objects.filter(
            account_id__in=accounts.values("pk"),
            scorecard_id__in=card,
            as_of__gt=now - timedelta(days=7 * weeks),
            as_of__lte=now,
            computed_score__isnull=False,
        )
        .order_by()
        .values("account_id")
        .annotate(**means)
    )
    return {
        r["account_id"]: [None if r[f"w{k}"] is None else float(r[f"w{k}"]) for k in range(weeks)]
        for r in rows
    }


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
    signals = set(thresholds["signals"])
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    usage = _weekly_usage(active, today, weeks, now) if "usage" in signals else {}
    health = _weekly_health(active, now, weeks) if "health" in signals else {}
    seen = sorted(set(usage) | set(health))
    cohorts = _cohorts(seen, list(thresholds["dimensions"]))
    names = dict(Account.objects.filter(pk__in=seen).values_list("pk", "name"))
    owners = dict(Account.objects.filter(pk__in=seen).values_list("pk", "owner_id"))
    manager = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.MANAGER)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    drifts: list[tuple[str, str, str, CohortDrift, HealthDrift | None]] = []
    for (dimension, value), members in sorted(cohorts.items()):
        used = [a for a in members if a in usage]
        drift = cohort_drift(
            {a: usage[a] for a in used},
            sigma=thresholds["sigma"],
            min_move_pct=thresholds["min_move_pct"],
            min_std_pct=thresholds["min_std_pct"],
            min_accounts=thresholds["min_accounts"],
        ) if used else None  # fmt: skip
        if drift is not None and drift.drivers:
            drifts.append(("usage", dimension, value, drift, None))
        scored = [a for a in members if a in health]
        moved = cohort_health_drift(
            {a: health[a] for a in scored},
            sigma=thresholds["sigma"],
            min_move_points=thresholds["health_min_move_points"],
            min_std_points=thresholds["health_min_std_points"],
            min_accounts=thresholds["min_accounts"],
        ) if scored else None  # fmt: skip
        if moved is not None and moved.drift.drivers:
            drifts.append(("health", dimension, value, moved.drift, moved))
    # A CTA hangs on an account (one open per account and reason): the cohort's top driver.
    # When two cohorts (or a cohort's usage and health) share it, the first keeps it —
    # health before usage, then the larger move — and names the other.
    drifts.sort(key=lambda t: (t[0] != "health", -abs(t[3].move_pct), t[1], t[2]))
    findings: dict[int, CtaFinding] = {}
    for signal, dimension, value, drift, moved in drifts:
        anchor = drift.drivers[0][0]
        cohort = {"dimension": dimension, "value": value, "accounts": drift.accounts}
        if anchor in findings:
            findings[anchor].details["also_drifting"].append({**cohort, "signal": signal})
            continue
        details = _usage_details(drift) if moved is None else _health_details(moved)
        findings[anchor] = CtaFinding(
            account_id=anchor,
            owner_id=manager or owners.get(anchor),
            title=_title(dimension, value, drift, moved),
            priority=Priority.HIGH if drift.move_pct < 0 else Priority.MEDIUM,
            details={
                "monitor": MonitorKey.COHORT_DRIFT,
                "signal": signal,
                "cohort": cohort,
                **details,
                "z": drift.z,
                "baseline_weeks": thresholds["baseline_weeks"],
                "drivers": [
                    {
                        "account_id": a,
                        "name": names.get(a),
                        ("change_pct" if moved is None else "change_points"): c,
                    }
                    for a, c in drift.drivers
                ],  # fmt: skip
                "also_drifting": [],
                "as_of": today,
            },
            due_date=due_in(now, thresholds["cta_due_days"]),
        )
    return MonitorScan(
        accounts_scanned=len(seen),
        findings=list(findings.values()),
        details={
            "cohorts_checked": len(cohorts),
            "cohorts_drifting": len(drifts),
            "drifting_by_signal": {s: sum(d[0] == s for d in drifts) for s in sorted(signals)},
        },
    )


def _usage_details(drift: CohortDrift) -> dict[str, Any]:
    return {
        "move_pct": drift.move_pct,
        "baseline_mean_pct": drift.baseline_mean_pct,
        "baseline_std_pct": drift.baseline_std_pct,
    }


def _health_details(moved: HealthDrift) -> dict[str, Any]:
    d = moved.drift
    return {
        "median_health_before": moved.median_before,
        "median_health_now": moved.median_now,
        "move_points": d.move_pct,
        "baseline_mean_points": d.baseline_mean_pct,
        "baseline_std_points": d.baseline_std_pct,
    }


def _title(dimension: str, value: str, drift: CohortDrift, moved: HealthDrift | None) -> str:
    if moved is None:
        text = (
            f"Cohort {dimension}={value}: median weekly usage {drift.move_pct:+g}% "
            f"(normal {drift.baseline_mean_pct:+g}% ± {drift.baseline_std_pct:g}), "
            f"{drift.accounts} accounts"
        )
    else:
        text = (
            f"Cohort {dimension}={value}: median health {moved.median_before:g} → "
            f"{moved.median_now:g} ({drift.move_pct:+g} points in a week; normal "
            f"{drift.baseline_mean_pct:+g} ± {drift.baseline_std_pct:g}), "
            f"{drift.accounts} accounts"
        )
    return text[:200]


SPEC = MonitorSpec(
    key=MonitorKey.COHORT_DRIFT,
    reason=CtaReason.COHORT_DRIFT,
    description="A cohort's median week-over-week usage change, or its median health score, "
    "left its own normal variation (mean ± sigma × std of the baseline weeks' moves): one CTA "
    "for a CS manager naming the cohort, the move and the accounts driving it.",
    interval_minutes=1440,
    thresholds={
        "dimensions": Threshold(
            list(DIMENSIONS), "Cohort dimensions to check.", choices=DIMENSIONS
        ),
        "signals": Threshold(
            list(SIGNALS), "What to watch: median usage change, median health.", choices=SIGNALS
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
        "health_min_move_points": Threshold(
            5.0,
            "Smallest weekly move of the median health score, in points, worth a CTA.",
            0.5,
            50,
        ),
        "health_min_std_points": Threshold(
            1.5,
            "Floor on the health baseline's std, in points (a flat cohort's wobble).",
            0,
            20,
        ),
        "min_accounts": Threshold(5, "Smallest cohort judged.", 2, 10_000),
    },
    scan=scan,
)
