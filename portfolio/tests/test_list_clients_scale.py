"""list_clients at scale: totals from the maintained rollup, keyset pages in four sorts on
indexed columns, and a query count per page that does not grow with the portfolio."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput
from customers.models import Account, PortfolioRollup, Renewal
from customers.services.money import exchange_rate_set
from health.models import HealthScore, LatestHealthScore
from health.tests.builders import _test_scorecard, create_health_score
from tests.builders import call_tool

TIERS = ("smb", "mid_market", "enterprise")
BANDS = ("green", "yellow", "red")


def _grow(n: int, owners: list, *, start: int = 0) -> list[Account]:
    """`n` accounts spread over `owners` (and unassigned): some without a rate, a score or
    an open renewal, many sharing a value, so every sort has ties and a null tail. Written
    in bulk, as an import or the seed does, so the triggers see set-based statements."""
    today = clock.today()
    accounts = Account.objects.bulk_create(
        [
            Account(
                name=f"Scale {(i * 7919) % 100003:06d}",
                owner=owners[i % len(owners)] if i % 11 else None,
                tier=TIERS[i % 3],
                lifecycle_stage="adoption" if i % 4 else "onboarding",
                arr=Decimal(1000 * (i % 37)),
                arr_reporting=None if i % 13 == 0 else Decimal(1000 * (i % 37)),
                currency="USD",
            )
            for i in range(start, start + n)
        ],
        batch_size=2000,
    )
    card = _test_scorecard()
    as_of = clock.now() - timedelta(hours=2)
    snapshots = HealthScore.objects.bulk_create(
        [
            HealthScore(
                account=a,
                scorecard=card,
                as_of=as_of,
                computed_at=as_of,
                score=None if i % 9 == 0 else Decimal(i % 100),
                computed_score=None if i % 9 == 0 else Decimal(i % 100),
                band="unknown" if i % 9 == 0 else BANDS[i % 3],
                coverage=Decimal("0.000") if i % 9 == 0 else Decimal("0.750"),
                confidence="high",
                inputs={},
                result={},
            )
            for i, a in enumerate(accounts)
            if i % 5
        ],
        batch_size=2000,
    )
    LatestHealthScore.objects.bulk_create(
        [LatestHealthScore(account_id=s.account_id, snapshot=s, as_of=s.as_of) for s in snapshots],
        batch_size=2000,
    )
    Renewal.objects.bulk_create(
        [
            Renewal(
                account=a,
                renewal_date=today + timedelta(days=i % 200),
                current_arr=a.arr,
                stage="closed" if i % 6 == 0 else "upcoming",
                outcome="renewed" if i % 6 == 0 else None,
                closed_on=today if i % 6 == 0 else None,
            )
            for i, a in enumerate(accounts)
            if i % 4
        ],
        batch_size=2000,
    )
    return accounts


def _recount() -> dict[tuple, tuple]:
    rows = (
        Account.objects.order_by()
        .values("owner_id", "latest_health_band", "tier", "lifecycle_stage", "status")
        .annotate(
            accounts=Count("id"),
            arr=Coalesce(Sum("arr_reporting"), Decimal("0")),
            without=Count("id", filter=Q(arr_reporting__isnull=True)),
        )
    )
    out: dict[tuple, tuple] = {}
    for r in rows:
        key = (r["owner_id"] or 0, r["latest_health_band"] or "unknown", r["tier"],
               r["lifecycle_stage"], r["status"])  # fmt: skip
        n, arr, without = out.get(key, (0, Decimal("0"), 0))
        out[key] = (n + r["accounts"], arr + r["arr"], without + r["without"])
    return out


def _rollup() -> dict[tuple, tuple]:
    return {
        (r.owner_key, r.band, r.tier, r.lifecycle_stage, r.status): (
            r.accounts,
            r.arr_total,
            r.without_rate,
        )
        for r in PortfolioRollup.objects.filter(accounts__gt=0)
    }


def _columns_agree_with_their_sources() -> None:
    for a in Account.objects.all():
        latest = HealthScore.objects.filter(latest_of__account=a).first()
        expected = (None, None, None) if latest is None else (
            latest.score, latest.band, latest.coverage
        )  # fmt: skip
        assert (a.latest_health_score, a.latest_health_band, a.latest_health_coverage) == expected
        nxt = (
            Renewal.objects.filter(account=a).exclude(stage="closed").order_by("renewal_date")
        ).first()
        assert a.next_open_renewal_date == (nxt.renewal_date if nxt else None)


@pytest.mark.django_db
def test_rollup_and_list_columns_follow_every_kind_of_write(staff, actors):
    accounts = _grow(120, [staff["csm1"], staff["csm2"]])
    assert _rollup() == _recount()
    _columns_agree_with_their_sources()
    first, second, third = accounts[1], accounts[2], accounts[3]
    # A service write (owner, tier), a new latest snapshot, a closed renewal, a rate
    # that converts the EUR accounts set-based, a new account and a deleted one.
    call_tool(staff["manager"], "update_client_info", {
        "account_id": first.pk, "owner_id": staff["csm2"].pk, "tier": "enterprise",
    })  # fmt: skip
    create_health_score(second, 12.0, "red")
    Renewal.objects.filter(account=third).update(
        stage="closed", outcome="renewed", closed_on=clock.today()
    )
    Account.objects.filter(pk__in=[a.pk for a in accounts[10:20]]).update(currency="EUR")
    exchange_rate_set(
        actor=actors["manager"], base="EUR", rate=Decimal("1.1"), valid_from=clock.today()
    )
    accounts[30].delete()
    HealthScore.objects.filter(latest_of__account=accounts[31]).delete()
    assert _rollup() == _recount()
    _columns_agree_with_their_sources()
    second.refresh_from_db()
    assert (second.latest_health_score, second.latest_health_band) == (Decimal("12.0"), "red")


def _expected_order(accounts: list[Account], sort: str) -> list[int]:
    column, descending = {
        "name": ("name", False),
        "arr": ("arr_reporting", True),
        "health": ("latest_health_score", False),
        "renewal": ("next_open_renewal_date", False),
    }[sort]
    valued = [a for a in accounts if getattr(a, column) is not None]
    tail = [a for a in accounts if getattr(a, column) is None]
    valued.sort(key=lambda a: (getattr(a, column), a.pk), reverse=descending)
    tail.sort(key=lambda a: a.pk, reverse=descending)
    return [a.pk for a in valued + tail]


def _walk(user, payload: dict) -> tuple[list[int], list[dict]]:
    ids, pages, cursor = [], [], None
    while True:
        out = call_tool(user, "list_clients", {**payload, "cursor": cursor})
        pages.append(out)
        ids += [c["account_id"] for c in out["clients"]]
        cursor = out["page"]["next_cursor"]
        if cursor is None:
            return ids, pages


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["name", "arr", "health", "renewal"])
def test_every_sort_walks_the_book_once_in_order_with_the_null_tail_last(staff, sort):
    _grow(150, [staff["csm1"], staff["csm2"]])
    everyone = list(Account.objects.all())
    ids, pages = _walk(staff["manager"], {"sort": sort, "limit": 7})
    assert ids == _expected_order(everyone, sort)
    book = [a for a in everyone if a.owner_id == staff["csm1"].pk and a.tier == "smb"]
    ids, _ = _walk(staff["csm1"], {"sort": sort, "limit": 4, "tier": "smb"})
    assert ids == _expected_order(book, sort)
    row = pages[0]["clients"][0]
    account = next(a for a in everyone if a.pk == row["account_id"])
    assert row["health_coverage"] == (
        None if account.latest_health_coverage is None else float(account.latest_health_coverage)
    )
    assert row["health_band"] == (account.latest_health_band or "unknown")


@pytest.mark.django_db
def test_totals_from_the_rollup_match_the_matching_accounts(staff):
    _grow(200, [staff["csm1"], staff["csm2"]])
    cases = [
        (staff["manager"], {}, Q()),
        (staff["csm1"], {}, Q(owner=staff["csm1"])),
        (staff["manager"], {"tier": "smb", "health_band": "red"},
         Q(tier="smb", latest_health_band="red")),
        (staff["manager"], {"health_band": "unknown"},
         Q(latest_health_band__isnull=True) | Q(latest_health_band="unknown")),
        (staff["csm2"], {"lifecycle_stage": "onboarding", "status": "active"},
         Q(owner=staff["csm2"], lifecycle_stage="onboarding", status="active")),
        (staff["manager"], {"owner_id": staff["csm2"].pk, "search": "Scale 0"},
         Q(owner=staff["csm2"], name__icontains="Scale 0")),
        (staff["manager"], {"renewal_within_days": 30},
         Q(next_open_renewal_date__gte=clock.today(),
           next_open_renewal_date__lte=clock.today() + timedelta(days=30))),
    ]  # fmt: skip
    for user, payload, match in cases:
        totals = call_tool(user, "list_clients", {**payload, "limit": 1})["totals"]
        matching = list(Account.objects.filter(match))
        assert totals["accounts"] == len(matching), payload
        assert Decimal(totals["arr_total"]) == sum(
            (a.arr_reporting for a in matching if a.arr_reporting is not None), Decimal("0")
        )
        assert totals["accounts_without_rate"] == sum(a.arr_reporting is None for a in matching)
        for band, n in totals["by_health_band"].items():
            expected = sum((a.latest_health_band or "unknown") == band for a in matching)
            assert n == expected, (payload, band)


def _page_queries(user, payload: dict) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        call_tool(user, "list_clients", payload)
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_queries_per_page_stay_the_same_from_1000_to_10000_accounts(staff):
    owners = [staff["csm1"], staff["csm2"]]
    _grow(1000, owners)
    payloads = [
        {"sort": sort, **extra}
        for sort in ("name", "arr", "health", "renewal")
        for extra in ({}, {"tier": "enterprise"}, {"health_band": "red"})
    ]

    def measure() -> dict[tuple, tuple[int, int]]:
        counts = {}
        for user in (staff["manager"], staff["csm1"]):
            for payload in payloads:
                first = call_tool(user, "list_clients", payload)
                n1, _ = _page_queries(user, payload)
                n2, _ = _page_queries(user, {**payload, "cursor": first["page"]["next_cursor"]})
                counts[(user.username, tuple(sorted(payload.items())))] = (n1, n2)
        return counts

    # A page is the scope/filter, one keyset query on the sort's index (a second one only
    # when the page reaches the accounts without a value), the owners and the rollup.
    small = measure()
    base = small[("manager", (("sort", "name"),))][0]
    _grow(9000, owners, start=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_account")
    large = measure()
    assert large[("manager", (("sort", "name"),))][0] == base
    for counts in (small, large):
        assert all(base <= n <= base + 1 for pair in counts.values() for n in pair), counts
    # The totals read the rollup, never the accounts table.
    _, sqls = _page_queries(staff["manager"], {"sort": "arr", "tier": "smb"})
    totals = [s for s in sqls if "customers_portfoliorollup" in s]
    assert len(totals) == 1 and "customers_account" not in totals[0]


@pytest.mark.django_db
def test_each_sort_reads_its_index_at_10000_accounts(staff):
    _grow(10000, [staff["csm1"], staff["csm2"]])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_account")
    for sort, index in (
        ("name", "account_sort_name"),
        ("arr", "account_sort_arr"),
        ("health", "account_sort_health"),
        ("renewal", "account_sort_renewal"),
    ):
        first = call_tool(staff["manager"], "list_clients", {"sort": sort})
        _, sqls = _page_queries(
            staff["manager"], {"sort": sort, "cursor": first["page"]["next_cursor"]}
        )
        page_sql = next(s for s in sqls if 'FROM "customers_account"' in s)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + page_sql)
            plan = "\n".join(r[0] for r in cursor.fetchall())
        assert index in plan, (sort, plan)
        assert "Seq Scan on customers_account" not in plan, (sort, plan)


@pytest.mark.django_db
def test_a_cursor_from_another_sort_is_refused(staff):
    _grow(30, [staff["csm1"]])
    first = call_tool(staff["manager"], "list_clients", {"sort": "arr", "limit": 5})
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["manager"],
            "list_clients",
            {"sort": "name", "cursor": first["page"]["next_cursor"]},
        )
    assert err.value.details["errors"][0]["field"] == "cursor"


@pytest.mark.django_db
def test_fields_give_the_compact_row_form_with_the_same_values(staff):
    _grow(40, [staff["csm1"]])
    full = call_tool(staff["manager"], "list_clients", {"sort": "health", "limit": 10})
    compact = call_tool(
        staff["manager"],
        "list_clients",
        {"sort": "health", "limit": 10, "fields": ["health_band", "name", "health_coverage"]},
    )
    assert compact["clients"] is None
    assert compact["columns"] == ["account_id", "name", "health_band", "health_coverage"]
    assert compact["rows"] == [[c[k] for k in compact["columns"]] for c in full["clients"]]
    assert compact["totals"] == full["totals"] and compact["page"] == full["page"]
    assert full["columns"] is None and full["rows"] is None
    assert len(json.dumps(compact["rows"])) < len(json.dumps(full["clients"])) / 3
    with pytest.raises(InvalidInput):
        call_tool(staff["manager"], "list_clients", {"fields": ["notes"]})
