"""Add-on products on the demo contracts, so cross-sell has something to compare.

Some active accounts buy part of their current subscription as add-ons (analytics, SSO,
premium support): the current contract's ARR is split into the core subscription and
one contract per add-on over the same term, so each account's ARR still equals the sum
of its active contracts. Larger tiers and growing accounts hold more add-ons.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from customers.models import ContractStatus, Tier
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import Archetype
from portfolio.seed.rng import money, stream

Row = dict[str, Any]
ADDONS = (
    ("analytics", "Analytics add-on"),
    ("sso", "SSO add-on"),
    ("premium_support", "Premium support"),
)
TAKE_UP = {Tier.ENTERPRISE: 0.6, Tier.MID_MARKET: 0.45, Tier.SMB: 0.3, Tier.STARTUP: 0.15}


def addon_contract_rows(ctx: SeedContext, contracts: list[Row]) -> list[Row]:
    """Add-on contracts carved out of each active account's current contract (which is
    changed in place in `contracts`); ids follow the last contract id."""
    current = {
        row["account_id"]: row for row in contracts if row["status"] == ContractStatus.ACTIVE
    }
    rows: list[Row] = []
    next_id = max((row["id"] for row in contracts), default=0) + 1
    for p in ctx.profiles:
        base = current.get(p.number)
        if base is None:
            continue
        r = stream(ctx.seed, "addons", p.number)
        chance = TAKE_UP.get(p.tier, 0.2) * (1.3 if p.archetype == Archetype.GROWING else 1.0)
        for product, name in ADDONS:
            if r.random() >= chance:
                continue
            share = Decimal(str(round(r.uniform(0.08, 0.2), 2)))
            arr = money(float(base["arr"] * share))
            if arr <= 0 or arr >= base["arr"]:
                continue
            base["arr"] -= arr
            rows.append(
                {
                    **base,
                    "id": next_id,
                    "name": f"{name} {base['start_date']:%Y-%m}",
                    "product": product,
                    "arr": arr,
                    "seats": 0,
                }
            )
            next_id += 1
    return rows
