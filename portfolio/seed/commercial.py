"""Contracts and renewals: the current term, the one before it, and the renewals between.

Past renewals (closed, with an outcome) fall 1-90 days before the anchor date, so a
backtest scoring accounts 90 days before each renewal finds usage in the 180-day window.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from customers.models import ContractStatus, ForecastCategory, RenewalOutcome, RenewalStage, Tier
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import AccountProfile, Archetype, Term
from portfolio.seed.rng import at, money, stream

Row = dict[str, Any]
A = Archetype
UPCOMING_PROBABILITY = {
    A.GROWING: (0.82, 0.97),
    A.FLAT: (0.68, 0.9),
    A.DECLINING: (0.3, 0.6),
    A.GONE_QUIET: (0.6, 0.85),  # the CSM has not noticed yet
    A.ONBOARDING: (0.6, 0.85),
}
PROPOSAL_FACTOR = {
    A.GROWING: (1.1, 1.3),
    A.FLAT: (1.0, 1.05),
    A.DECLINING: (0.8, 1.0),
    A.GONE_QUIET: (1.0, 1.05),
    A.ONBOARDING: (1.0, 1.1),
}


def forecast_category(probability: Decimal) -> str:
    if probability >= Decimal("0.9"):
        return ForecastCategory.COMMIT
    if probability >= Decimal("0.7"):
        return ForecastCategory.BEST_CASE
    if probability >= Decimal("0.45"):
        return ForecastCategory.PIPELINE
    return ForecastCategory.AT_RISK


def _contract(ctx: SeedContext, p: AccountProfile, cid: int, term: Term, status: str) -> Row:
    auto = p.tier in (Tier.SMB, Tier.STARTUP) and stream(ctx.seed, "auto", p.number).random() < 0.6
    return {
        "id": cid,
        "account_id": p.number,
        "name": f"Annual subscription {term.start:%Y-%m}",
        "start_date": term.start,
        "end_date": term.end,
        "arr": term.arr,
        "currency": p.currency,
        "seats": term.seats,
        "status": status,
        "auto_renew": auto,
        "created_at": at(term.start - timedelta(days=7), 11),
    }


def _past_renewal(ctx: SeedContext, p: AccountProfile, rid: int, contract_id: int) -> Row:
    past = p.past_renewal
    assert past is not None
    delta = past.arr_after - past.arr_before
    if past.outcome == RenewalOutcome.CHURNED:
        note = "Customer declined the renewal proposal."
        proposed = past.arr_before
    else:
        note = f"Closed {past.outcome}; ARR change {delta:+,.2f} {p.currency}."
        proposed = past.arr_after
    return {
        "id": rid,
        "account_id": p.number,
        "contract_id": contract_id,
        "renewal_date": past.renewal_date,
        "current_arr": past.arr_before,
        "proposed_arr": proposed,
        "currency": p.currency,
        "probability": past.probability,
        "forecast_category": forecast_category(past.probability),
        "stage": RenewalStage.CLOSED,
        "outcome": past.outcome,
        "outcome_arr": past.arr_after,
        "closed_on": past.closed_on,
        "owner_id": ctx.owner_id(p),
        "notes": note,
        "created_at": at(past.renewal_date - timedelta(days=120), 9),
    }


def _upcoming_renewal(ctx: SeedContext, p: AccountProfile, rid: int, contract_id: int) -> Row:
    r = stream(ctx.seed, "renewal", p.number)
    probability = Decimal(str(round(r.uniform(*UPCOMING_PROBABILITY[p.archetype]), 2)))
    days = (p.term.end - ctx.cal.today).days
    stage = RenewalStage.UPCOMING
    if days <= 30:
        committed = probability >= Decimal("0.8")
        stage = RenewalStage.COMMITTED if committed else RenewalStage.IN_NEGOTIATION
    elif days <= 90 and r.random() < 0.6:
        stage = RenewalStage.IN_NEGOTIATION
    proposed = None
    if stage != RenewalStage.UPCOMING:
        proposed = money(float(p.arr) * r.uniform(*PROPOSAL_FACTOR[p.archetype]))
    return {
        "id": rid,
        "account_id": p.number,
        "contract_id": contract_id,
        "renewal_date": p.term.end,
        "current_arr": p.arr,
        "proposed_arr": proposed,
        "currency": p.currency,
        "probability": probability,
        "forecast_category": forecast_category(probability),
        "stage": stage,
        "outcome": None,
        "outcome_arr": None,
        "closed_on": None,
        "owner_id": ctx.owner_id(p),
        "notes": "",
        "created_at": at(p.term.start, 12),
    }


def commercial_rows(ctx: SeedContext) -> tuple[list[Row], list[Row]]:
    """(contracts, renewals) for every account, ids in account order."""
    contracts: list[Row] = []
    renewals: list[Row] = []
    for p in ctx.profiles:
        previous_id = None
        if p.previous is not None:
            previous_id = len(contracts) + 1
            contracts.append(_contract(ctx, p, previous_id, p.previous, ContractStatus.EXPIRED))
        current_id = len(contracts) + 1
        status = ContractStatus.ACTIVE if p.active else ContractStatus.EXPIRED
        contracts.append(_contract(ctx, p, current_id, p.term, status))
        if p.past_renewal is not None:
            # A churn closes the last term; any other outcome closed the one before it.
            renewed_id = current_id if p.churned_on is not None else previous_id
            assert renewed_id is not None
            renewals.append(_past_renewal(ctx, p, len(renewals) + 1, renewed_id))
        if p.active:
            renewals.append(_upcoming_renewal(ctx, p, len(renewals) + 1, current_id))
    return contracts, renewals
