"""Expansion tools: upsell, cross-sell and seat-expansion opportunities from seat
utilisation, health, tier and products held, stored without duplicates."""

from __future__ import annotations

from decimal import Decimal

from cs_platform.core.errors import NotFound
from cs_platform.core.tools import ToolContext, tool
from customers.models import OpportunityKind
from customers.selectors import account_list_for_actor
from customers.selectors.money import reporting_currency
from health.selectors.expansion import EXPANSION_DEFINITIONS
from health.services.expansion import opportunities_identify
from health.tools.expansion_contracts import (
    IdentifyOpportunitiesInput,
    IdentifyOpportunitiesOutput,
)

UPSELL_KINDS = (OpportunityKind.UPSELL, OpportunityKind.SEAT_EXPANSION)
CROSS_SELL_KINDS = (OpportunityKind.CROSS_SELL,)
ALL_KINDS = (*UPSELL_KINDS, *CROSS_SELL_KINDS)


def _identify(
    ctx: ToolContext, params: IdentifyOpportunitiesInput, kinds: tuple[str, ...]
) -> IdentifyOpportunitiesOutput:
    accounts = account_list_for_actor(ctx.actor)
    if params.account_ids:
        accounts = accounts.filter(pk__in=params.account_ids)
        missing = sorted(set(params.account_ids) - set(accounts.values_list("pk", flat=True)))
        if missing:
            raise NotFound(
                f"accounts {missing} not found in your book of business",
                details={"field": "account_ids", "account_ids": missing},
            )
    result = opportunities_identify(
        accounts=accounts, kinds=kinds, actor=ctx.actor, now=ctx.now, dry_run=params.dry_run
    )
    names = dict(
        accounts.filter(pk__in={o.account_id for _, o, _ in result.rows}).values_list("pk", "name")
    )
    rows = sorted(result.rows, key=lambda r: (-(r[1].amount_reporting or 0), r[1].account_id))
    counts = {
        k: sum(1 for *_, how in result.rows if how == k)
        for k in ("created", "refreshed", "unchanged")
    }
    ctx.audit(changes={"kinds": list(kinds), **counts})
    return IdentifyOpportunitiesOutput(
        as_of=ctx.now,
        dry_run=params.dry_run,
        accounts_scanned=result.accounts_scanned,
        **counts,
        total_reporting=sum(
            (o.amount_reporting or Decimal(0) for _, o, _ in result.rows), Decimal(0)
        ),
        reporting_currency=reporting_currency(),
        opportunities=[
            {
                "id": row.pk,
                "account_id": opp.account_id,
                "account_name": names[opp.account_id],
                "kind": opp.kind,
                "product": opp.product,
                "amount": opp.amount,
                "currency": opp.currency,
                "amount_reporting": opp.amount_reporting,
                "status": row.status,
                "result": how,
                "rationale": row.rationale,
            }
            for row, opp, how in rows[: params.limit]
        ],
        truncated=len(rows) > params.limit,
        rules={k: EXPANSION_DEFINITIONS[k] for k in kinds},
    )


@tool(permission="write", read_only=False, idempotent=True)
def identify_upsell_opportunities(
    ctx: ToolContext, params: IdentifyOpportunitiesInput
) -> IdentifyOpportunitiesOutput:
    """Upsell (next tier) and seat-expansion opportunities in your book, from peak usage
    against licensed seats, health and tier; stored, one open per account, kind and
    product (a re-run refreshes it). Thresholds: upsell_detector's (get_worker_config)."""
    return _identify(ctx, params, UPSELL_KINDS)


@tool(permission="write", read_only=False, idempotent=True)
def identify_crosssell_opportunities(
    ctx: ToolContext, params: IdentifyOpportunitiesInput
) -> IdentifyOpportunitiesOutput:
    """Cross-sell: products (add-on contracts) most same-tier peers hold and the account
    does not, priced at that product's median ARR; stored without duplicates on re-run.
    Thresholds: upsell_detector's (get_worker_config)."""
    return _identify(ctx, params, CROSS_SELL_KINDS)


@tool(permission="write", read_only=False, idempotent=True)
def identify_expansion_opportunities(
    ctx: ToolContext, params: IdentifyOpportunitiesInput
) -> IdentifyOpportunitiesOutput:
    """All expansion opportunities in your book (upsell, seat expansion, cross-sell) with
    amounts in the account's and the reporting currency; stored without duplicates on
    re-run. Thresholds: upsell_detector's (get_worker_config)."""
    return _identify(ctx, params, ALL_KINDS)
