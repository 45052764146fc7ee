"""Demo communication: an automated renewal check-in rule (run hourly by beat; with the
sandbox SendGrid connected it e-mails the primary contacts of accounts renewing in 55-60
days, once per account per 90 days)."""

from __future__ import annotations

from typing import Any

from portfolio.seed.context import SeedContext
from portfolio.seed.rng import at

Row = dict[str, Any]


def communication_rule_rows(ctx: SeedContext) -> list[Row]:
    return [
        {
            "id": 1,
            "name": "Renewal in 60 days: check-in",
            "status": "active",
            "conditions": {
                "match": "all",
                "conditions": [{"field": "days_to_renewal", "op": "between", "value": [55, 60]}],
            },
            "recipient": "primary",
            "category": "service",
            "subject": "{{account_name}}: your renewal is two months away",
            "body": "Hi {{first_name}},\n\nYour renewal is coming up in about two months. "
            "Could we find 30 minutes to look back at the year and plan the next one?\n\n"
            "Best,\n{{csm_name}}",
            "window_days": 90,
            "created_by_id": ctx.staff.manager_id,
            "created_at": at(ctx.cal.today, 8),
        }
    ]
