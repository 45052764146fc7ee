"""Report accounts whose stored ARR differs from their active contracts (and optionally
re-derive it through the contract service's own rule)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from customers.services.contracts import account_arr_sync, arr_drift_report


class Command(BaseCommand):
    help = (
        "Report accounts whose ARR or currency differs from the sum of their active "
        "contracts (JSON on stdout; exit status 1 when there is drift). --fix re-derives "
        "them. Accounts without contracts are not checked: their ARR has no other source."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--fix", action="store_true", help="Re-derive the drifted accounts.")

    def handle(self, *args: Any, **opts: Any) -> None:
        drift = arr_drift_report()
        fixed = 0
        if opts["fix"]:
            for d in drift:
                if d.contract_arr is None:
                    continue  # no rate for a contract's currency: nothing to set it to
                with transaction.atomic():
                    fixed += bool(account_arr_sync(d.account_id))
        report = {
            "accounts_drifted": len(drift),
            "accounts_fixed": fixed,
            "drift": [
                {
                    "account_id": d.account_id,
                    "stored": {"arr": str(d.stored_arr), "currency": d.stored_currency},
                    "contracts": {
                        "arr": None if d.contract_arr is None else str(d.contract_arr),
                        "currency": d.contract_currency,
                        "active": d.active_contracts,
                    },
                }
                for d in drift[:1000]
            ],
            "truncated": len(drift) > 1000,
        }
        self.stdout.write(json.dumps(report))
        if drift and not opts["fix"]:
            raise SystemExit(1)
