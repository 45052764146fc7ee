"""Account ARR follows its active contracts: a contract write moves the account's ARR and
the portfolio totals in the same transaction; a typed ARR is refused; drift is reported."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Contract
from customers.services.accounts import account_update
from customers.services.contracts import contract_create, contract_delete, contract_update
from customers.services.money import exchange_rate_set

pytestmark = pytest.mark.django_db


def _totals(actor) -> Decimal:
    return Decimal(str(invoke_tool("list_clients", actor, {"limit": 5})["totals"]["arr_total"]))


@pytest.mark.date_sensitive
def test_halving_the_contract_halves_account_arr_and_portfolio_total(actors, portfolio):
    account = portfolio["declining"]  # 120,000 USD, one active contract of 120,000
    contract = Contract.objects.get(account=account)
    before = _totals(actors["manager"])
    contract_update(actor=actors["manager"], instance=contract, changes={"arr": Decimal("60000")})
    account.refresh_from_db()
    assert (account.arr, account.arr_reporting) == (Decimal("60000.00"), Decimal("60000.00"))
    assert _totals(actors["manager"]) == before - Decimal("60000")
    assert AuditEvent.objects.filter(action="contract.update").exists()

    # An add-on contract adds to it; cancelling it takes it away again.
    addon = contract_create(
        actor=actors["manager"],
        fields={"account": account, "name": "Add-on", "start_date": clock.today(),
                "end_date": clock.today() + timedelta(days=365), "arr": Decimal("5000"),
                "currency": "USD", "product": "analytics"},
    )  # fmt: skip
    assert Account.objects.get(pk=account.pk).arr == Decimal("65000.00")
    contract_update(actor=actors["manager"], instance=addon, changes={"status": "cancelled"})
    assert Account.objects.get(pk=account.pk).arr == Decimal("60000.00")
    contract_delete(actor=actors["manager"], instance=addon)
    assert Account.objects.get(pk=account.pk).arr == Decimal("60000.00")


@pytest.mark.date_sensitive
def test_mixed_currencies_convert_through_the_reporting_currency(actors, portfolio):
    account = portfolio["healthy"]  # 18,000 USD contract
    exchange_rate_set(actor=None, base="EUR", rate=Decimal("1.20"), valid_from=clock.today())
    contract_create(
        actor=actors["manager"],
        fields={"account": account, "name": "EU entity", "start_date": clock.today(),
                "end_date": clock.today() + timedelta(days=365), "arr": Decimal("500"),
                "currency": "EUR"},
    )  # fmt: skip
    # 18,000 USD + 500 EUR x 1.20 = 18,600 USD.
    account.refresh_from_db()
    assert (account.arr, account.currency, account.arr_reporting) == (
        Decimal("18600.00"), "USD", Decimal("18600.00")
    )  # fmt: skip


def test_typing_arr_on_an_account_with_contracts_is_refused(actors, portfolio):
    account = portfolio["healthy"]
    with pytest.raises(InvalidInput) as exc:
        account_update(actor=actors["manager"], account=account, changes={"arr": Decimal("1")})
    assert exc.value.details["errors"][0]["field"] == "arr"
    # The same amount is no change and passes.
    account_update(actor=actors["manager"], account=account, changes={"arr": account.arr})
    assert Account.objects.get(pk=account.pk).arr == Decimal("18000.00")


@pytest.mark.date_sensitive
def test_check_arr_drift_reports_and_fixes(portfolio, capsys):
    account = portfolio["healthy"]
    Account.objects.filter(pk=account.pk).update(arr=Decimal("1.00"))  # written around the service
    with pytest.raises(SystemExit) as exit_:
        call_command("check_arr_drift")
    assert exit_.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["accounts_drifted"] == 1
    assert report["drift"][0] == {
        "account_id": account.pk,
        "stored": {"arr": "1.00", "currency": "USD"},
        "contracts": {"arr": "18000.00", "currency": "USD", "active": 1},
    }
    call_command("check_arr_drift", "--fix")
    assert json.loads(capsys.readouterr().out)["accounts_fixed"] == 1
    assert Account.objects.get(pk=account.pk).arr == Decimal("18000.00")
    call_command("check_arr_drift")  # no drift: exit status 0
    assert json.loads(capsys.readouterr().out)["accounts_drifted"] == 0
