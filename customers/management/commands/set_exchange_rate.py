"""`manage.py set_exchange_rate --base EUR --rate 1.08 [--valid-from YYYY-MM-DD] [--source S]`.

Records what one unit of BASE is worth in the reporting currency (REPORTING_CURRENCY) from
the given day (today by default) and re-converts the ARR of every account billed in BASE.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from cs_platform.core import clock
from cs_platform.core.errors import DomainError
from customers.selectors.money import reporting_currency
from customers.services.money import exchange_rate_set


class Command(BaseCommand):
    help = "Record an exchange rate into the reporting currency and re-convert account ARR."

    def add_arguments(self, parser):
        parser.add_argument("--base", required=True, help="ISO code of the currency, e.g. EUR.")
        parser.add_argument("--rate", required=True, help="Reporting-currency units per BASE.")
        parser.add_argument("--valid-from", default=None, help="First day it applies (today).")
        parser.add_argument("--source", default="", help="Where the rate comes from.")

    def handle(self, *args, **options):
        try:
            rate = Decimal(options["rate"])
        except InvalidOperation:
            raise CommandError("--rate must be a decimal number, e.g. 1.08") from None
        try:
            valid_from = (
                date.fromisoformat(options["valid_from"])
                if options["valid_from"]
                else clock.today()
            )
        except ValueError:
            raise CommandError("--valid-from must be a date like 2026-12-01") from None
        try:
            row = exchange_rate_set(
                actor=None,
                base=options["base"].strip().upper(),
                rate=rate,
                valid_from=valid_from,
                source=options["source"],
                system="set_exchange_rate",
            )
        except DomainError as exc:
            reasons = [
                f"{e.get('field')}: {e.get('message')}" for e in exc.details.get("errors", [])
            ]
            raise CommandError("; ".join(reasons) or exc.message) from exc
        self.stdout.write(f"{row} (reporting currency {reporting_currency()})")
