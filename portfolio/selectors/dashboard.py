"""The home dashboard: one book of business (a CSM's own, or everyone's / one owner's for a
manager) in a fixed number of queries, whatever the number of accounts.

Band, score, coverage and next renewal date are read from the account's own columns,
which database triggers keep equal to its latest snapshot and next open renewal
(`Account.latest_health_*`, `next_open_renewal_date`): grouping 100,000 accounts by band
then reads one table instead of running a subquery per account.

Every section starts from `customers.selectors.account_list_for_actor`; money is in the
reporting currency (`Account.arr_reporting`), and an account with no exchange rate is
counted, not added as if its ARR were zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cs_platform.core.actors import Actor
from cs_platform.core.models import Role
from customers.models import CTA, OPEN_CTA, Account, AccountStatus
from customers.selectors import account_list_for_actor
from customers.selectors.money import reporting_currency
from health.models import HealthBand
from health.selectors.satisfaction import (
    satisfaction_from_counts,
    satisfaction_monthly,
    survey_responses_in_window,
)
from health.selectors.snapshots import latest_health
from integrations.selectors.syncs import connection_status_page
from portfolio.models import SatisfactionMonth
from portfolio.selectors.health_changes import (
    HealthChange,
    health_changes_explained,
    health_drops_latest,
)

NOT_SCORED = "not_scored"  # active accounts with no snapshot at all
RENEWAL_WINDOWS = (30, 60, 90)
AT_RISK_BANDS = ("red", "yellow")
DROP_DAYS = 7  # "this week"
REASON_DAYS = 30  # why a renewing account is where it is: its last month
SATISFACTION_MONTHS = 6
CTA_AGE_BUCKETS = ((0, 7), (7, 30), (30, None))  # days open: [from, to)
LIST_LIMIT = 10
CONNECTIONS_SHOWN = 20


@dataclass(frozen=True)
class BandRow:
    band: str
    label: str
    accounts: int
    arr: Decimal
    accounts_without_rate: int
    coverage_avg: float | None  # share of the scorecard backed by data, 0..1


@dataclass(frozen=True)
class RenewalRisk:
    account: Account
    renewal_date: date
    days: int
    band: str
    score: Decimal | None
    change: HealthChange | None


@dataclass
class Dashboard:
    today: date
    currency: str
    owner: Any | None  # the owner filtered on (managers), or the CSM whose book it is
    owners: list[Any]  # who a manager may filter on; empty for a CSM
    accounts_total: int = 0
    arr_total: Decimal = Decimal("0")
    bands: list[BandRow] = field(default_factory=list)
    renewal_windows: list[dict[str, Any]] = field(default_factory=list)
    renewals_at_risk: list[RenewalRisk] = field(default_factory=list)
    health_drops: list[tuple[Account, HealthChange]] = field(default_factory=list)
    ctas_by_owner: list[dict[str, Any]] = field(default_factory=list)
    satisfaction: list[dict[str, Any]] = field(default_factory=list)
    connections: list[dict[str, Any]] = field(default_factory=list)


def dashboard_accounts(actor: Actor, *, owner_id: int | None) -> QuerySet[Account]:
    """Active accounts of the book shown: a CSM's own (an owner filter cannot widen it),
    everyone's or one owner's for a manager or viewer."""
    accounts = account_list_for_actor(actor).filter(status=AccountStatus.ACTIVE)
    if owner_id is not None and actor.sees_all_accounts:
        accounts = accounts.filter(owner_id=owner_id)
    return accounts


def dashboard_owners() -> list[Any]:
    """Staff who may own a book: the manager's owner filter."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role__in=[Role.CSM, Role.MANAGER])
        .order_by("first_name", "username")
        .only("id", "username", "first_name", "last_name")
    )


def health_by_band(accounts: QuerySet[Account]) -> list[BandRow]:
    """Accounts, ARR and mean coverage per band of the latest snapshot (one query, over
    the account's trigger-kept copy of its latest snapshot's band and coverage)."""
    rows = (
        accounts.order_by()
        .annotate(
            _band=Coalesce("latest_health_band", Value(NOT_SCORED)),
            _coverage=F("latest_health_coverage"),
        )
        .values("_band")
        .annotate(
            n=Count("id"),
            arr=Sum("arr_reporting"),
            no_rate=Count("id", filter=Q(arr_reporting__isnull=True)),
            coverage=Avg("_coverage"),
        )
    )
    found = {r["_band"]: r for r in rows}
    labels = [*HealthBand.choices, (NOT_SCORED, "Not scored yet")]
    out = []
    for band, label in labels:
        r = found.get(band) or {"n": 0, "arr": None, "no_rate": 0, "coverage": None}
        out.append(
            BandRow(
                band=band,
                label=str(label),
                accounts=r["n"],
                arr=r["arr"] or Decimal("0"),
                accounts_without_rate=r["no_rate"],
                coverage_avg=float(r["coverage"]) if r["coverage"] is not None else None,
            )
        )
    return out


def renewal_windows(accounts: QuerySet[Account], *, today: date) -> list[dict[str, Any]]:
    """Accounts whose next open renewal falls within 30/60/90 days (overdue ones too:
    they need care first), their ARR and the ARR of those red or yellow (one query)."""
    # Only accounts within the widest window are read (on the renewal date's index), not
    # the whole book: every window counts a subset of them.
    annotated = (
        accounts.order_by()
        .annotate(_renews=F("next_open_renewal_date"), _band=F("latest_health_band"))
        .filter(_renews__lte=today + timedelta(days=max(RENEWAL_WINDOWS)))
    )
    risky = Q(_band__in=AT_RISK_BANDS)
    aggregates: dict[str, Any] = {}
    for days in RENEWAL_WINDOWS:
        within = Q(_renews__lte=today + timedelta(days=days))
        aggregates[f"n{days}"] = Count("id", filter=within)
        aggregates[f"arr{days}"] = Sum("arr_reporting", filter=within)
        aggregates[f"risk_n{days}"] = Count("id", filter=within & risky)
        aggregates[f"risk_arr{days}"] = Sum("arr_reporting", filter=within & risky)
        aggregates[f"red{days}"] = Count("id", filter=within & Q(_band="red"))
    agg = annotated.aggregate(**aggregates)
    return [
        {
            "days": days,
            "accounts": agg[f"n{days}"],
            "arr": agg[f"arr{days}"] or Decimal("0"),
            "at_risk_accounts": agg[f"risk_n{days}"],
            "arr_at_risk": agg[f"risk_arr{days}"] or Decimal("0"),
            "red_accounts": agg[f"red{days}"],
        }
        for days in RENEWAL_WINDOWS
    ]


def renewals_at_risk(
    accounts: QuerySet[Account], *, today: date, days: int = 90, limit: int = LIST_LIMIT
) -> list[RenewalRisk]:
    """Red, then yellow, accounts renewing within `days` (soonest first), each with why
    its health moved over the last month: the question "which of my accounts renewing
    soon are red, and why?" answered in one list (three queries)."""
    horizon = today + timedelta(days=days)
    rows = list(
        accounts.annotate(
            _renews=F("next_open_renewal_date"),
            _band=F("latest_health_band"),
            _score=F("latest_health_score"),
            _snapshot=latest_health("id"),
        )
        .filter(_renews__lte=horizon, _band__in=AT_RISK_BANDS)
        .select_related("owner")
        .order_by("_band", "_renews", "id")[:limit]  # "red" sorts before "yellow"
    )
    changes = health_changes_explained([r._snapshot for r in rows], days=REASON_DAYS)
    return [
        RenewalRisk(
            account=r,
            renewal_date=r._renews,
            days=(r._renews - today).days,
            band=r._band,
            score=r._score,
            change=changes.get(r.pk),
        )
        for r in rows
    ]


def health_drops(
    accounts: QuerySet[Account],
    *,
    days: int = DROP_DAYS,
    limit: int = LIST_LIMIT,
    one_book: bool = False,
) -> list[tuple[Account, HealthChange]]:
    """The accounts whose health fell most over `days`, with the one-line reason (four
    queries)."""
    snapshot_ids = health_drops_latest(accounts, days=days, limit=limit, one_book=one_book)
    changes = health_changes_explained(snapshot_ids, days=days)
    by_id = {a.pk: a for a in Account.objects.filter(pk__in=list(changes))}
    ordered = sorted(changes.values(), key=lambda c: (c.delta or 0, c.account_id))
    return [(by_id[c.account_id], c) for c in ordered if c.account_id in by_id]


def ctas_by_owner(accounts: QuerySet[Account], *, today: date, now: datetime) -> list[dict]:
    """Open CTAs per owner: how many, how many overdue, and how long open (one query)."""
    aggregates: dict[str, Any] = {
        "open": Count("id"),
        "overdue": Count("id", filter=Q(due_date__lt=today)),
    }
    for low, high in CTA_AGE_BUCKETS:
        window = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            window &= Q(created_at__gt=now - timedelta(days=high))
        aggregates[f"age_{low}"] = Count("id", filter=window)
    rows = (
        CTA.objects.filter(OPEN_CTA, account_id__in=accounts.values("pk"))
        .order_by()
        .values("owner_id", "owner__username", "owner__first_name", "owner__last_name")
        .annotate(**aggregates)
        .order_by("-overdue", "-open", "owner__username")
    )
    out = []
    for r in rows:
        full = f"{r['owner__first_name']} {r['owner__last_name']}".strip()
        out.append(
            {
                "owner_id": r["owner_id"],
                "owner": full or r["owner__username"] or "Unassigned",
                "open": r["open"],
                "overdue": r["overdue"],
                "ages": [r[f"age_{low}"] for low, _ in CTA_AGE_BUCKETS],
            }
        )
    return out


def satisfaction_trend(
    accounts: QuerySet[Account], *, now: datetime, owner_id: int | None = None
) -> list[dict[str, Any]]:
    """NPS and CSAT per month over the last six months (one query). On PostgreSQL from
    the per-owner monthly counts (`SatisfactionMonth`, kept by triggers) of the active
    accounts of everyone or of `owner_id`; SQLite (make run) aggregates the answers of
    `accounts`. The counts hold whole months, answers dated after now included."""
    since = (now - timedelta(days=31 * SATISFACTION_MONTHS)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    if connection.vendor != "postgresql":
        return satisfaction_monthly(survey_responses_in_window(accounts, since=since, until=now))
    rows = SatisfactionMonth.objects.filter(
        status=AccountStatus.ACTIVE, month__gte=timezone.localtime(since).date()
    )
    if owner_id is not None:
        rows = rows.filter(owner_key=owner_id)
    return satisfaction_from_counts(rows)


def sync_status() -> list[dict[str, Any]]:
    """Each connection with its last run and the last error among its recent runs (two
    queries). Connections are not in anyone's book: everyone sees the same list."""
    rows, _ = connection_status_page(
        connection_id=None, after_id=0, limit=CONNECTIONS_SHOWN, runs_per_connection=5
    )
    for row in rows:
        runs = row["runs"]
        row["last_run"] = runs[0] if runs else None
        row["last_error"] = next((r for r in runs if r["error_code"] or r["error_message"]), None)
    return rows


def dashboard_for_actor(
    actor: Actor, *, owner_id: int | None, today: date, now: datetime
) -> Dashboard:
    accounts = dashboard_accounts(actor, owner_id=owner_id)
    owners = dashboard_owners() if actor.sees_all_accounts else []
    owner = None
    if actor.sees_all_accounts:
        owner = next((o for o in owners if o.pk == owner_id), None)
    else:
        owner = actor.user
    board = Dashboard(today=today, currency=reporting_currency(), owner=owner, owners=owners)
    board.bands = health_by_band(accounts)
    board.accounts_total = sum(b.accounts for b in board.bands)
    board.arr_total = sum((b.arr for b in board.bands), Decimal("0"))
    board.renewal_windows = renewal_windows(accounts, today=today)
    board.renewals_at_risk = renewals_at_risk(accounts, today=today)
    board.health_drops = health_drops(
        accounts, one_book=owner_id is not None or not actor.sees_all_accounts
    )
    board.ctas_by_owner = ctas_by_owner(accounts, today=today, now=now)
    board.satisfaction = satisfaction_trend(
        accounts, now=now, owner_id=owner_id if actor.sees_all_accounts else actor.user_id
    )
    board.connections = sync_status()
    return board


__all__ = [
    "BandRow",
    "Dashboard",
    "RenewalRisk",
    "dashboard_accounts",
    "dashboard_for_actor",
    "health_by_band",
    "health_drops",
    "renewal_windows",
    "renewals_at_risk",
]
