"""Fixtures of the expansion, renewal and monitor-control tests: a small book whose seat
utilisation, health, tiers and contracts give known expansion figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest


def create_contract(
    account,
    product: str,
    arr: str,
    *,
    days_ago: int = 200,
    days_left: int = 165,
    currency: str = "USD",
    seats: int = 0,
    status: str = "active",
):
    from cs_platform.core import clock
    from customers.models import Contract

    today = clock.today()
    return Contract.objects.create(
        account=account,
        name=product or "Subscription",
        product=product,
        start_date=today - timedelta(days=days_ago),
        end_date=today + timedelta(days=days_left),
        arr=Decimal(arr),
        currency=currency,
        seats=seats,
        status=status,
    )


@pytest.fixture
def expansion_book(staff) -> dict[str, object]:
    """`crowded` (csm1, smb, green, 50 seats, 55 peak users, ARR 50 000, holds Platform):
    seats 16 000, upsell to mid_market 50 000 (peer median 100 000 − 50 000), cross-sell
    Analytics 7 000 (2 of 4 smb holders have it; median of 6 000 and 8 000).
    `peer_a`/`peer_b` (csm2) hold Platform + Analytics, no usage; `peer_c` (csm2) is red;
    `mid_1`/`mid_2` are mid_market at 90 000 and 110 000 without contracts."""
    from health.tests.builders import create_account, create_health_score, create_usage_days

    csm1, csm2 = staff["csm1"], staff["csm2"]
    crowded = create_account(csm1, "Crowded", seats_licensed=50, arr=Decimal("50000.00"))
    create_usage_days(crowded, [40] * 29 + [55])
    create_health_score(crowded, 82, "green")
    create_contract(crowded, "Platform", "50000.00", seats=50)
    peer_a = create_account(csm2, "Peer A", seats_licensed=20)
    create_contract(peer_a, "Platform", "14000.00")
    create_contract(peer_a, "Analytics", "6000.00")
    peer_b = create_account(csm2, "Peer B", seats_licensed=20)
    create_contract(peer_b, "Platform", "12000.00")
    create_contract(peer_b, "Analytics", "8000.00")
    peer_c = create_account(csm2, "Peer C", seats_licensed=20)
    create_health_score(peer_c, 30, "red")
    create_contract(peer_c, "Platform", "20000.00")
    mid_1 = create_account(csm2, "Mid 1", tier="mid_market", arr=Decimal("90000.00"))
    mid_2 = create_account(csm2, "Mid 2", tier="mid_market", arr=Decimal("110000.00"))
    return {
        "crowded": crowded,
        "peer_a": peer_a,
        "peer_b": peer_b,
        "peer_c": peer_c,
        "mid_1": mid_1,
        "mid_2": mid_2,
    }
