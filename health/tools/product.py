"""Feedback & product intelligence: product usage from stored usage rows."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor, account_list_for_actor
from health.selectors.product_usage import (
    PRODUCT_USAGE_DEFINITIONS,
    account_usage_page,
    feature_adoption_page,
    usage_totals,
)
from health.tools.product_contracts import AnalyzeProductUsageInput, AnalyzeProductUsageOutput


def _position(cursor: str | None, view: str) -> tuple | None:
    values = cursor_decode(cursor, required_keys=("v", "n", "k"))
    if not values:
        return None
    if values["v"] != view:
        raise field_error("cursor", f"belongs to the {values['v']} view, not {view}")
    try:
        key = values["k"] if view == "features" else int(values["k"])
        return int(values["n"]), key
    except (TypeError, ValueError):
        raise field_error("cursor", "is not a cursor returned by this tool") from None


@tool(permission="read", read_only=True)
def analyze_product_usage(
    ctx: ToolContext, params: AnalyzeProductUsageInput
) -> AnalyzeProductUsageOutput:
    """Product usage across your accounts over the last `days` days, from stored rows.

    `view: features` lists every feature with the accounts using it in the window, the
    accounts that ever adopted it, its share of your accounts, lifetime events and
    events inside the window (from the Mixpanel sync's daily ledger), most-used first.
    `view: accounts` lists accounts by events in the window with their top features.
    Both carry window totals and a breakdown of usage rows by source (mixpanel vs api)
    so you can see what the figures rest on. Restrict to one account with `account_id`.
    Paged with `cursor`/`limit`; see `definitions` for each figure.
    """
    end = timezone.localdate(ctx.now)
    start = end - timedelta(days=params.days - 1)
    if params.account_id is not None:
        account = account_get_for_actor(ctx.actor, params.account_id)
        scope = account_list_for_actor(ctx.actor).filter(pk=account.pk)
    else:
        scope = account_list_for_actor(ctx.actor)
    after = _position(params.cursor, params.view)
    in_scope = scope.count()
    totals = usage_totals(scope, start=start, end=end)
    features, accounts = [], []
    next_cursor = None
    if params.view == "features":
        rows = feature_adoption_page(scope, start=start, end=end, after=after, limit=params.limit)
        if len(rows) > params.limit:
            rows = rows[: params.limit]
            last = rows[-1]
            next_cursor = cursor_encode(
                {"v": "features", "n": last["accounts_using"], "k": last["key"]}
            )
        for row in rows:
            row["share_of_accounts"] = (
                round(row["accounts_using"] / in_scope, 4) if in_scope else None
            )
            features.append({k: v for k, v in row.items() if k != "id"})
    else:
        rows = account_usage_page(
            scope, start=start, end=end, after=after, limit=params.limit, top=params.top_features
        )
        if len(rows) > params.limit:
            rows = rows[: params.limit]
            last = rows[-1]
            next_cursor = cursor_encode(
                {"v": "accounts", "n": last["events_in_window"], "k": last["id"]}
            )
        accounts = [{"account_id": r.pop("id"), **r} for r in rows]
    return AnalyzeProductUsageOutput(
        as_of=ctx.now,
        window_start=start,
        window_end=end,
        days=params.days,
        accounts_in_scope=in_scope,
        usage=totals["totals"],
        sources=totals["sources"],
        features=features,
        accounts=accounts,
        page=PageInfo(
            next_cursor=next_cursor, has_next=next_cursor is not None, limit=params.limit
        ),
        definitions=PRODUCT_USAGE_DEFINITIONS,
    )
