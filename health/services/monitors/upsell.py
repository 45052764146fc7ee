"""upsell_detector: accounts whose seat utilisation, health, tier and products show an
upsell, cross-sell or seat-expansion opportunity (rules in `health.selectors.expansion`,
shared with the expansion tools, which read these thresholds too)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from customers.models import Account, CtaReason, OpportunityKind, Priority
from customers.selectors.money import reporting_currency
from customers.services.ctas import CtaFinding
from health.models import HealthBand, MonitorKey
from health.selectors.expansion import expansion_signals, opportunities_for, peer_stats
from health.services.monitors.base import MonitorScan, MonitorSpec, Threshold, due_in

ALL_KINDS = tuple(OpportunityKind.values)
BANDS = tuple(HealthBand.values)


def scan(*, thresholds: dict[str, Any], now: datetime) -> MonitorScan:
    today = now.date()
    signals = expansion_signals(
        Account.objects.all(), today=today, window_days=thresholds["window_days"]
    )
    peers = peer_stats(today=today)
    findings = []
    for s in signals:
        found = opportunities_for(s, peers, thresholds, ALL_KINDS)
        if not found:
            continue
        total = sum((o.amount_reporting or Decimal(0) for o in found), Decimal(0))
        findings.append(
            CtaFinding(
                account_id=s.account_id,
                owner_id=s.owner_id,
                title=f"Expansion: {', '.join(sorted({o.kind for o in found}))} "
                f"worth {total:,.0f} {reporting_currency()}",
                priority=Priority.HIGH
                if total >= thresholds["high_priority_amount"]
                else Priority.MEDIUM,
                details={
                    "monitor": MonitorKey.UPSELL,
                    "total_reporting": total,
                    "currency_reporting": reporting_currency(),
                    "opportunities": [
                        {
                            "kind": o.kind,
                            "product": o.product,
                            "amount": o.amount,
                            "currency": o.currency,
                            "amount_reporting": o.amount_reporting,
                        }
                        for o in found
                    ],
                    "seat_utilisation_pct": s.utilisation_pct,
                    "health_band": s.band,
                },
                due_date=due_in(now, thresholds["cta_due_days"]),
            )
        )
    return MonitorScan(accounts_scanned=len(signals), findings=findings)


THRESHOLDS = {
    "window_days": Threshold(30, "Usage window for peak daily active users.", 7, 180),
    "seat_expansion_pct": Threshold(
        95.0, "Seat utilisation (%) from which more seats are proposed.", 1, 1000
    ),
    "seat_headroom_pct": Threshold(
        20.0, "Headroom (%) over peak users when sizing the extra seats.", 0, 200
    ),
    "upsell_utilisation_pct": Threshold(
        80.0, "Seat utilisation (%) from which a green account is offered the next tier.", 1, 1000
    ),
    "crosssell_adoption_pct": Threshold(
        40.0, "Share (%) of same-tier peers holding a product before it is suggested.", 1, 100
    ),
    "crosssell_min_peers": Threshold(
        3, "Fewest same-tier peers with contracts for a cross-sell comparison.", 1, 1000
    ),
    "expansion_bands": Threshold(
        ["green", "yellow"],
        "Health bands in which seat expansion and cross-sell are proposed.",
        choices=BANDS,
    ),
    "high_priority_amount": Threshold(
        25000, "Total (reporting currency) from which the CTA is high priority.", 0, 1e9
    ),
}

SPEC = MonitorSpec(
    key=MonitorKey.UPSELL,
    reason=CtaReason.EXPANSION,
    description="Seat utilisation against licensed seats, health band, tier and products "
    "held (active contracts' product) against same-tier peers: an expansion CTA with the "
    "upsell, cross-sell and seat-expansion amounts found.",
    interval_minutes=1440,
    thresholds=THRESHOLDS,
    scan=scan,
)
