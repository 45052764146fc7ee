"""Writes of exchange rates, and keeping `Account.arr_reporting` in step with them.

`arr_reporting` is `arr` converted at the newest rate valid today: it is what portfolio
totals, ARR sorting and value tiers read, so accounts billed in different currencies
compare like with like. It is refreshed set-based (one UPDATE per currency) when a rate
is set, and per account whenever its `arr` or `currency` changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, Value
from django.db.models.functions import Round

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import field_error
from cs_platform.core.records import WriteServices
from customers.models import Account, Currency, ExchangeRate
from customers.selectors.money import money_to_reporting, rates_on, reporting_currency


def exchange_rate_set(
    *,
    actor: Actor | None,
    base: str,
    rate: Decimal,
    valid_from: date,
    source: str = "",
    system: str = "exchange_rates",
) -> ExchangeRate:
    """Record that one `base` is worth `rate` of the reporting currency from `valid_from`
    (replacing a rate given for the same day), then re-convert the ARR of every account
    billed in `base`."""
    quote = reporting_currency()
    if base not in Currency.values:
        raise field_error("base", f"unknown currency {base!r}", code="invalid_choice")
    if base == quote:
        raise field_error("base", f"{quote} is the reporting currency: it needs no rate")
    rate = Decimal(str(rate))
    if not rate.is_finite() or rate <= 0:
        raise field_error("rate", "must be a positive number")
    with transaction.atomic():
        row, created = ExchangeRate.objects.update_or_create(
            base=base,
            quote=quote,
            valid_from=valid_from,
            defaults={"rate": rate, "source": source[:120]},
        )
        accounts = account_arr_reporting_refresh(currencies=[base])
        audit_record(
            actor,
            "exchange_rate.set",
            row,
            changes={
                "base": base,
                "quote": quote,
                "rate": str(rate),
                "valid_from": valid_from.isoformat(),
                "created": created,
                "accounts_reconverted": accounts,
            },
            system=system,
        )
    return row


def exchange_rate_create(*, actor: Actor | None, fields: dict) -> ExchangeRate:
    """`exchange_rate_set` the `WriteServices` way (admin add form)."""
    for name in ("base", "rate", "valid_from"):
        if fields.get(name) in (None, ""):
            raise field_error(name, "this field is required", code="required")
    return exchange_rate_set(
        actor=actor,
        base=fields["base"],
        rate=fields["rate"],
        valid_from=fields["valid_from"],
        source=fields.get("source") or "",
    )


# Rates are facts with a date: a wrong one is corrected by a newer row, not edited away.
EXCHANGE_RATE_WRITES = WriteServices(
    create=exchange_rate_create, create_fields=("base", "rate", "valid_from", "source")
)


def account_arr_reporting_refresh(
    *, currencies: Iterable[str] | None = None, day: date | None = None
) -> int:
    """Re-convert `arr_reporting` for every account billed in `currencies` (all when None)
    at the rates valid on `day` (today); accounts whose currency has no rate get null.
    One UPDATE per currency; returns the number of accounts touched."""
    rates = rates_on(day)
    quote = reporting_currency()
    wanted = list(currencies) if currencies is not None else list(Currency.values)
    money = DecimalField(max_digits=14, decimal_places=2)
    touched = 0
    for currency in wanted:
        accounts = Account.objects.filter(currency=currency)
        if currency == quote:
            touched += accounts.update(arr_reporting=F("arr"))
        elif currency in rates:
            rate = Value(rates[currency].rate, output_field=DecimalField(18, 8))
            touched += accounts.update(arr_reporting=Round(F("arr") * rate, 2, output_field=money))
        else:
            touched += accounts.update(arr_reporting=None)
    return touched


def account_arr_reporting_set(account: Account) -> None:
    """Convert one account's `arr` after its amount or currency changed (in the caller's
    transaction)."""
    value = money_to_reporting(account.arr, account.currency)
    if value != account.arr_reporting:
        account.arr_reporting = value
        Account.objects.filter(pk=account.pk).update(arr_reporting=value)
