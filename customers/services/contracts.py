"""Contracts are the source of truth for an account's ARR.

An account that has contracts carries, in `arr`, the sum of its *active* contracts' ARR, in
the account's currency, and `arr_reporting` follows (`account_arr_reporting_set`). Every
contract write (create, update, delete) recomputes it in the same transaction, so portfolio
totals, ARR sorts and value tiers move with the contract. When every active contract is
billed in one currency the account takes that currency; contracts in another currency are
converted through the reporting currency at today's rates. An account without any contract
keeps the ARR typed on it (there is nothing to derive it from); `check_arr_drift` reports
accounts whose stored ARR differs from their contracts'.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from cs_platform.core.actors import Actor
from cs_platform.core.records import WriteServices, record_create, record_delete, record_update
from customers.models import Account, Contract, ContractStatus
from customers.selectors.money import money_to_reporting, rates_on, reporting_currency
from customers.services.money import account_arr_reporting_set
from customers.services.records import CONTRACT_RECORD

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ContractArr:
    """What an account's active contracts add up to: ``arr`` in ``currency``; ``arr`` None
    when a contract's currency has no rate to convert it (reported, never taken as 1)."""

    arr: Decimal | None
    currency: str
    active_contracts: int


def contract_arr_derive(
    rows: list[tuple[str, Decimal, str]], account_currency: str, rates: dict[str, Any]
) -> ContractArr | None:
    """What ``rows`` (each contract's status, ARR, currency) add up to for an account billed
    in ``account_currency``; None when there is no contract at all."""
    if not rows:
        return None
    active = [(arr, currency) for status, arr, currency in rows if status == ContractStatus.ACTIVE]
    currencies = {currency for _, currency in active}
    if len(currencies) == 1:
        (currency,) = currencies
        return ContractArr(sum((arr for arr, _ in active), Decimal("0")), currency, len(active))
    currency = account_currency
    to_account = Decimal("1")
    if active and currency != reporting_currency():
        row = rates.get(currency)
        if row is None:
            return ContractArr(None, currency, len(active))
        to_account = Decimal("1") / row.rate
    total = Decimal("0")
    for arr, contract_currency in active:
        if contract_currency == currency:
            total += arr
            continue
        reporting = money_to_reporting(arr, contract_currency, rates)
        if reporting is None:
            return ContractArr(None, currency, len(active))
        total += reporting * to_account
    return ContractArr(total.quantize(CENT, ROUND_HALF_UP), currency, len(active))


def contract_arr_for_account(account: Account) -> ContractArr | None:
    """The ARR the account's active contracts give; None when it has no contract at all."""
    rows = list(Contract.objects.filter(account=account).values_list("status", "arr", "currency"))
    return contract_arr_derive(rows, account.currency, rates_on() if rows else {})


@dataclass(frozen=True)
class ArrDrift:
    account_id: int
    stored_arr: Decimal
    stored_currency: str
    contract_arr: Decimal | None  # None: a contract's currency has no rate
    contract_currency: str
    active_contracts: int


def arr_drift_report() -> list[ArrDrift]:
    """Accounts whose stored ARR or currency differs from what their contracts give (two
    queries, streamed, whatever the number of accounts)."""
    rates = rates_on()
    contracts: dict[int, list[tuple[str, Decimal, str]]] = {}
    for account_id, status, arr, currency in (
        Contract.objects.order_by().values_list("account_id", "status", "arr", "currency")
    ).iterator(chunk_size=5000):
        contracts.setdefault(account_id, []).append((status, arr, currency))
    drift = []
    for pk, arr, currency in (
        Account.objects.filter(pk__in=list(contracts))
        .order_by("pk")
        .values_list("pk", "arr", "currency")
        .iterator(chunk_size=5000)
    ):
        derived = contract_arr_derive(contracts[pk], currency, rates)
        if derived is None:
            continue
        if derived.arr != arr or derived.currency != currency:
            drift.append(
                ArrDrift(pk, arr, currency, derived.arr, derived.currency, derived.active_contracts)
            )
    return drift


def account_arr_sync(account_id: int) -> dict[str, Any]:
    """Set the account's ARR (and currency) from its active contracts, in the caller's
    transaction; returns ``{field: {"before", "after"}}`` of what changed (empty: none)."""
    account = Account.objects.select_for_update().get(pk=account_id)
    derived = contract_arr_for_account(account)
    if derived is None or derived.arr is None:
        return {}
    diff: dict[str, Any] = {}
    if account.arr != derived.arr:
        diff["arr"] = {"before": str(account.arr), "after": str(derived.arr)}
    if account.currency != derived.currency:
        diff["currency"] = {"before": account.currency, "after": derived.currency}
    if diff:
        account.arr, account.currency = derived.arr, derived.currency
        Account.objects.filter(pk=account.pk).update(arr=derived.arr, currency=derived.currency)
        account_arr_reporting_set(account)
    return diff


def contract_create(
    *, actor: Actor | None, fields: dict[str, Any], system: str = "system"
) -> Contract:
    """Create a contract (validated, scoped, audited) and re-derive its account's ARR."""
    with transaction.atomic():
        contract = record_create(CONTRACT_RECORD, actor=actor, fields=fields, system=system)
        account_arr_sync(contract.account_id)
    return contract


def contract_update(
    *, actor: Actor | None, instance: Contract, changes: dict[str, Any], system: str = "system"
) -> dict[str, Any]:
    """Update a contract and re-derive the ARR of its account (both, if it moved)."""
    before_account = instance.account_id
    with transaction.atomic():
        diff = record_update(
            CONTRACT_RECORD, actor=actor, instance=instance, changes=changes, system=system
        )
        if diff:
            account_arr_sync(instance.account_id)
            if before_account != instance.account_id:
                account_arr_sync(before_account)
    return diff


def contract_delete(*, actor: Actor | None, instance: Contract, system: str = "system") -> None:
    """Delete a contract and re-derive its account's ARR."""
    account_id = instance.account_id
    with transaction.atomic():
        record_delete(CONTRACT_RECORD, actor=actor, instance=instance, system=system)
        account_arr_sync(account_id)


CONTRACT_WRITES = WriteServices(
    create=contract_create, update=contract_update, delete=contract_delete
)
