"""'My day': what a CSM should act on today, from their book — their open CTAs (overdue
first, then by due date and priority), renewals coming up, and accounts that turned red
(with why). A fixed number of queries whatever the size of the book."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from cs_platform.core.actors import Actor
from customers.models import CTA, OPEN_CTA, Account
from health.models import HealthScore, LatestHealthScore
from portfolio.models import NOT_RED
from portfolio.selectors.dashboard import dashboard_accounts
from portfolio.selectors.health_changes import (
    HealthChange,
    health_changes_explained,
    previous_band,
)

RENEWAL_DAYS = 90
TURNED_RED_DAYS = 14  # "turned red" recently: the red snapshot is this recent
ROWS = 25

PRIORITY_RANK = Case(
    When(priority="urgent", then=Value(0)),
    When(priority="high", then=Value(1)),
    When(priority="medium", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


@dataclass
class MyDay:
    today: date
    ctas: list[CTA]
    overdue: int
    renewals: list[Account]
    turned_red: list[tuple[Account, HealthChange | None]]


def my_ctas(actor: Actor, accounts: QuerySet[Account], *, today: date) -> list[CTA]:
    """Open CTAs the user owns on the book's accounts or on none, and unowned ones on the
    book's accounts: overdue first, then by due date (none last), then priority."""
    mine = Q(owner_id=actor.user_id) | Q(owner__isnull=True)
    # A CTA of no account (an overdue GDPR request nobody's contact made) is its owner's.
    unattached = Q(account__isnull=True, owner_id=actor.user_id)
    return list(
        CTA.objects.filter(OPEN_CTA)
        .filter((mine & Q(account_id__in=accounts.values("pk"))) | unattached)
        .select_related("account")
        .annotate(
            _overdue=Case(
                When(due_date__lt=today, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            _priority=PRIORITY_RANK,
        )
        .order_by("_overdue", F("due_date").asc(nulls_last=True), "_priority", "id")[:ROWS]
    )


def renewals_coming(accounts: QuerySet[Account], *, today: date) -> list[Account]:
    """Accounts whose next open renewal is within 90 days (overdue too), soonest first."""
    return list(
        accounts.annotate(
            renews_on=F("next_open_renewal_date"),
            band=F("latest_health_band"),
            score=F("latest_health_score"),
        )
        .filter(renews_on__lte=today + timedelta(days=RENEWAL_DAYS))
        .order_by("renews_on", "id")[:ROWS]
    )


def turned_red_maintained(
    accounts: QuerySet[Account], *, since: datetime, one_book: bool
) -> list[int]:
    """Latest snapshot ids of the accounts red since `since` after a band other than red,
    newest first: from the band pair kept per account (portfolio.HealthWeekChange) on a
    partial index, stopping after a page whatever the number of accounts. `one_book`: read
    from the book's side (see health_drops_latest)."""
    scope_sql, scope_params = accounts.order_by().values("pk").query.sql_with_params()
    if one_book:
        scope_sql = f"WITH book AS MATERIALIZED ({scope_sql}) SELECT pk FROM book"  # noqa: S608
    marks = ", ".join(["%s"] * len(NOT_RED))
    sql = f"""
        SELECT p.snapshot_id FROM portfolio_healthweekchange c
        JOIN {LatestHealthScore._meta.db_table} p
          ON p.account_id = c.account_id AND p.as_of = c.as_of
        WHERE c.band = 'red' AND c.previous_band IN ({marks}) AND c.as_of >= %s
          AND c.account_id IN ({scope_sql})
        ORDER BY c.as_of DESC, c.account_id
        LIMIT %s
    """  # noqa: S608 (table names are the models'; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*NOT_RED, since, *scope_params, ROWS])
        return [row[0] for row in cursor.fetchall()]


def turned_red_compared(accounts: QuerySet[Account], *, since: datetime) -> list[int]:
    """The same ids from the snapshots: each latest red one against the one before it."""
    return list(
        HealthScore.objects.filter(
            latest_of__isnull=False,
            band="red",
            as_of__gte=since,
            account_id__in=accounts.values("pk"),
        )
        .annotate(before=previous_band())
        .filter(before__isnull=False)
        .exclude(before="red")
        .order_by("-as_of", "account_id")
        .values_list("id", flat=True)[:ROWS]
    )


def turned_red(
    accounts: QuerySet[Account], *, now: datetime, one_book: bool = False
) -> list[tuple[Account, HealthChange | None]]:
    """Accounts whose latest snapshot, taken in the last two weeks, is red while the one
    before it was not; with what moved the score between the two."""
    since = now - timedelta(days=TURNED_RED_DAYS)
    if connection.vendor == "postgresql":
        ids = turned_red_maintained(accounts, since=since, one_book=one_book)
    else:  # SQLite (make run): from the snapshots
        ids = turned_red_compared(accounts, since=since)
    changes = health_changes_explained(ids, days=0)
    by_id = {a.pk: a for a in Account.objects.filter(pk__in=list(changes))}
    ordered = sorted(changes.values(), key=lambda c: (c.delta or 0, c.account_id))
    return [(by_id[c.account_id], c) for c in ordered if c.account_id in by_id]


def my_day_for_actor(actor: Actor, *, owner_id: int | None, today: date, now: datetime) -> MyDay:
    accounts = dashboard_accounts(actor, owner_id=owner_id)
    ctas = my_ctas(actor, accounts, today=today)
    return MyDay(
        today=today,
        ctas=ctas,
        overdue=sum(1 for c in ctas if c.due_date is not None and c.due_date < today),
        renewals=renewals_coming(accounts, today=today),
        turned_red=turned_red(
            accounts, now=now, one_book=owner_id is not None or not actor.sees_all_accounts
        ),
    )


__all__ = ["MyDay", "my_day_for_actor"]
