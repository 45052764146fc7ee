"""Expansion signals: seat utilisation against the licensed seats, health, tier and the
products (contract names) an account holds, read for many accounts in a fixed number of
queries; and the rules that turn them into upsell, cross-sell and seat-expansion
opportunities (used by the `upsell_detector` monitor and the expansion tools alike)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from customers.models import Account, AccountStatus, Contract, ContractStatus, OpportunityKind
from customers.selectors.money import CENT, money_to_reporting, rates_on, reporting_currency
from health.models import HealthBand, UsageDaily
from health.selectors.snapshots import latest_health

# Tier ladder for tier upgrades (the next tier up is the upsell).
TIER_LADDER = ("startup", "smb", "mid_market", "enterprise")
SEATS_PRODUCT = "seats"

EXPANSION_DEFINITIONS = {
    "peak_users": "Highest daily active users in the last window_days (usage rows).",
    "seat_utilisation_pct": "peak_users / seats_licensed × 100; null without licensed seats.",
    "seat_expansion": "utilisation ≥ seat_expansion_pct and band in expansion_bands: "
    "seats = ceil(peak_users × (1 + seat_headroom_pct/100)) − seats_licensed, priced at "
    "the account's ARR per licensed seat.",
    "upsell": "band green, utilisation ≥ upsell_utilisation_pct, tier below enterprise: "
    "move to the next tier; amount = median ARR of active next-tier accounts − this ARR "
    "(reporting currency; none when not positive or no peers).",
    "cross_sell": "a product (active contracts' `product`) held by ≥ crosssell_adoption_pct of "
    "at least crosssell_min_peers active same-tier accounts and not by this one, band in "
    "expansion_bands; amount = median ARR of that product's contracts (reporting currency).",
}


@dataclass
class AccountSignals:
    account_id: int
    name: str
    owner_id: int | None
    tier: str
    arr: Decimal
    currency: str
    arr_reporting: Decimal | None
    seats_licensed: int
    peak_users: int | None
    band: str
    products: set[str] = field(default_factory=set)

    @property
    def utilisation_pct(self) -> float | None:
        if not self.seats_licensed or self.peak_users is None:
            return None
        return round(self.peak_users * 100.0 / self.seats_licensed, 1)


@dataclass(frozen=True)
class Opportunity:
    account_id: int
    kind: str
    product: str
    amount: Decimal
    currency: str
    amount_reporting: Decimal | None
    rationale: dict[str, Any]


def expansion_signals(
    account_qs: QuerySet[Account], *, today: date, window_days: int
) -> list[AccountSignals]:
    """Signals of every active account in `account_qs`, ordered by id (two queries)."""
    since = today - timedelta(days=window_days - 1)
    peak = (
        UsageDaily.objects.filter(account_id=OuterRef("pk"), date__gte=since, date__lte=today)
        .order_by()
        .values("account_id")
        .annotate(m=Max("active_users"))
        .values("m")
    )
    rows = (
        account_qs.filter(status=AccountStatus.ACTIVE)
        .annotate(
            peak_users=Subquery(peak[:1]),
            band=Coalesce(latest_health("band"), Value(HealthBand.UNKNOWN)),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "owner_id",
            "tier",
            "arr",
            "currency",
            "arr_reporting",
            "seats_licensed",
            "peak_users",
            "band",
        )
    )
    signals = {r[0]: AccountSignals(*r) for r in rows}
    for account_id, name in (
        _active_contracts(today)
        .filter(account_id__in=list(signals))
        .values_list("account_id", "name")
    ):
        signals[account_id].products.add(name)
    return list(signals.values())


def _active_contracts(today: date) -> QuerySet[Contract]:
    return Contract.objects.filter(
        status=ContractStatus.ACTIVE, start_date__lte=today, end_date__gt=today
    )


@dataclass(frozen=True)
class PeerStats:
    """Portfolio-wide figures the rules compare an account against (all active accounts,
    whatever the caller's book: a peer median is not account data)."""

    median_arr_by_tier: dict[str, Decimal]
    peers_by_tier: dict[str, int]
    product_owners_by_tier: dict[str, dict[str, int]]
    product_median_arr: dict[str, Decimal]


def peer_stats(*, today: date) -> PeerStats:
    rates = rates_on(today)
    arr_by_tier: dict[str, list[Decimal]] = defaultdict(list)
    for tier, arr in Account.objects.filter(
        status=AccountStatus.ACTIVE, arr_reporting__isnull=False
    ).values_list("tier", "arr_reporting"):
        arr_by_tier[tier].append(arr)
    owners: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    holders: dict[str, set[int]] = defaultdict(set)
    product_arr: dict[str, list[Decimal]] = defaultdict(list)
    contracts = _active_contracts(today).filter(account__status=AccountStatus.ACTIVE)
    for account_id, tier, product, arr, currency in contracts.values_list(
        "account_id", "account__tier", "product", "arr", "currency"
    ):
        holders[tier].add(account_id)
        if not product:
            continue
        owners[tier][product].add(account_id)
        value = money_to_reporting(arr, currency, rates)
        if value is not None:
            product_arr[product].append(value)
    return PeerStats(
        median_arr_by_tier={t: _median(v) for t, v in arr_by_tier.items()},
        peers_by_tier={t: len(ids) for t, ids in holders.items()},
        product_owners_by_tier={
            t: {p: len(ids) for p, ids in d.items()} for t, d in owners.items()
        },
        product_median_arr={p: _median(v) for p, v in product_arr.items()},
    )


def _median(values: list[Decimal]) -> Decimal:
    return Decimal(median(values)).quantize(CENT, ROUND_HALF_UP)


def _next_tier(tier: str) -> str | None:
    if tier not in TIER_LADDER or tier == TIER_LADDER[-1]:
        return None
    return TIER_LADDER[TIER_LADDER.index(tier) + 1]


def opportunities_for(
    s: AccountSignals, peers: PeerStats, thresholds: dict[str, Any], kinds: tuple[str, ...]
) -> list[Opportunity]:
    """The opportunities the rules find for one account, of the requested kinds."""
    found: list[Opportunity] = []
    util = s.utilisation_pct
    expandable = s.band in thresholds["expansion_bands"]
    base = {
        "seats_licensed": s.seats_licensed,
        "peak_users": s.peak_users,
        "seat_utilisation_pct": util,
        "health_band": s.band,
        "tier": s.tier,
        "window_days": thresholds["window_days"],
    }
    if (
        OpportunityKind.SEAT_EXPANSION in kinds
        and util is not None
        and expandable
        and util >= thresholds["seat_expansion_pct"]
    ):
        target = math.ceil(s.peak_users * (100 + thresholds["seat_headroom_pct"]) / 100)
        extra = max(target - s.seats_licensed, 1)
        per_seat = (s.arr / s.seats_licensed).quantize(CENT, ROUND_HALF_UP)
        amount = (per_seat * extra).quantize(CENT, ROUND_HALF_UP)
        found.append(
            Opportunity(
                s.account_id,
                OpportunityKind.SEAT_EXPANSION,
                SEATS_PRODUCT,
                amount,
                s.currency,
                money_to_reporting(amount, s.currency),
                {**base, "extra_seats": extra, "arr_per_seat": per_seat},
            )
        )
    nxt = _next_tier(s.tier)
    if (
        OpportunityKind.UPSELL in kinds
        and nxt
        and util is not None
        and s.band == HealthBand.GREEN
        and util >= thresholds["upsell_utilisation_pct"]
        and s.arr_reporting is not None
        and nxt in peers.median_arr_by_tier
    ):
        gap = peers.median_arr_by_tier[nxt] - s.arr_reporting
        if gap > 0:
            found.append(
                Opportunity(
                    s.account_id,
                    OpportunityKind.UPSELL,
                    f"tier:{nxt}",
                    gap,
                    reporting_currency(),
                    gap,
                    {
                        **base,
                        "next_tier": nxt,
                        "next_tier_median_arr": peers.median_arr_by_tier[nxt],
                        "arr_reporting": s.arr_reporting,
                    },
                )
            )
    if OpportunityKind.CROSS_SELL in kinds and expandable and s.products:
        n_peers = peers.peers_by_tier.get(s.tier, 0)
        if n_peers >= thresholds["crosssell_min_peers"]:
            for product, owners in sorted(peers.product_owners_by_tier.get(s.tier, {}).items()):
                adoption = round(owners * 100.0 / n_peers, 1)
                if product in s.products or adoption < thresholds["crosssell_adoption_pct"]:
                    continue
                amount = peers.product_median_arr.get(product)
                if amount is None:
                    continue
                found.append(
                    Opportunity(
                        s.account_id,
                        OpportunityKind.CROSS_SELL,
                        product,
                        amount,
                        reporting_currency(),
                        amount,
                        {
                            **base,
                            "peer_adoption_pct": adoption,
                            "peers": n_peers,
                            "products_owned": sorted(s.products),
                        },
                    )
                )
    return found
