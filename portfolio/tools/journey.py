"""map_customer_journey: lifecycle stages with the touchpoints of each."""

from __future__ import annotations

from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor
from portfolio.selectors.journey import customer_journey
from portfolio.tools.journey_contracts import MapCustomerJourneyInput, MapCustomerJourneyOutput


@tool(permission="read", read_only=True)
def map_customer_journey(
    ctx: ToolContext, params: MapCustomerJourneyInput
) -> MapCustomerJourneyOutput:
    """An account's journey: each lifecycle stage it went through (from recorded stage
    changes, with the reason and days spent) and the touchpoints in it counted by kind
    (activities, tickets opened/resolved, survey answers, e-mails, CTAs, delivered
    training sessions, finished onboarding milestones), plus the last touch."""
    account = account_get_for_actor(ctx.actor, params.account_id)
    return MapCustomerJourneyOutput(
        as_of=ctx.now, account_id=account.pk, **customer_journey(account, now=ctx.now)
    )
