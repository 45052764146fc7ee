"""Storing expansion opportunities found by the rules in `health.selectors.expansion`.

One open opportunity per account, kind and product (a partial unique constraint): a
re-run refreshes the amount and rationale of the open one instead of adding another, and
never reopens what a person marked won or lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from audit.services import audit_record
from cs_platform.core.actors import Actor
from customers.models import OPEN_OPPORTUNITY, ExpansionOpportunity
from health.models import MonitorKey
from health.selectors.expansion import (
    Opportunity,
    expansion_signals,
    opportunities_for,
    peer_stats,
)
from health.services.monitors import monitor_configs_ensure, monitor_spec_get

SOURCE = "expansion_rules"


@dataclass
class IdentifyResult:
    accounts_scanned: int
    rows: list[tuple[ExpansionOpportunity, Opportunity, str]] = field(default_factory=list)
    thresholds: dict[str, Any] = field(default_factory=dict)


def expansion_thresholds() -> dict[str, Any]:
    """The upsell detector's stored thresholds: the tools and the monitor share them."""
    spec = monitor_spec_get(MonitorKey.UPSELL)
    return spec.validate(monitor_configs_ensure()[MonitorKey.UPSELL].thresholds)


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def opportunities_identify(
    *,
    accounts: Any,
    kinds: tuple[str, ...],
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
) -> IdentifyResult:
    """Find opportunities of `kinds` for `accounts` (a queryset already scoped to the
    actor) and store them: `created`, `refreshed` (open one updated) or `unchanged`.
    With `dry_run`, nothing is written and every row is reported as it would be."""
    thresholds = expansion_thresholds()
    signals = expansion_signals(accounts, today=now.date(), window_days=thresholds["window_days"])
    peers = peer_stats(today=now.date())
    found = [o for s in signals for o in opportunities_for(s, peers, thresholds, kinds)]
    result = IdentifyResult(accounts_scanned=len(signals), thresholds=thresholds)
    if not found:
        return result
    with transaction.atomic():
        existing = {
            (o.account_id, o.kind, o.product): o
            for o in ExpansionOpportunity.objects.select_for_update()
            .filter(OPEN_OPPORTUNITY, account_id__in={o.account_id for o in found})
            .filter(kind__in=kinds)
        }
        for opp in found:
            rationale = _jsonable(opp.rationale)
            row = existing.get((opp.account_id, opp.kind, opp.product))
            if row is None:
                row = ExpansionOpportunity(
                    account_id=opp.account_id,
                    kind=opp.kind,
                    product=opp.product,
                    amount=opp.amount,
                    currency=opp.currency,
                    source=SOURCE,
                    rationale=rationale,
                )
                if not dry_run:
                    row.save()
                    audit_record(
                        actor,
                        "opportunity.identified",
                        row,
                        account_id=opp.account_id,
                        changes={"kind": opp.kind, "product": opp.product, "amount": opp.amount},
                    )
                result.rows.append((row, opp, "created"))
                continue
            if (row.amount, row.currency, row.rationale) == (opp.amount, opp.currency, rationale):
                result.rows.append((row, opp, "unchanged"))
                continue
            before = str(row.amount)
            row.amount, row.currency, row.rationale = opp.amount, opp.currency, rationale
            if not dry_run:
                row.save(update_fields=["amount", "currency", "rationale"])
                audit_record(
                    actor,
                    "opportunity.refreshed",
                    row,
                    account_id=opp.account_id,
                    changes={"amount": {"before": before, "after": str(opp.amount)}},
                )
            result.rows.append((row, opp, "refreshed"))
        if dry_run:
            transaction.set_rollback(True)
    return result
