"""ARR in one reporting currency: exchange rates are dated rows, accounts carry their ARR
converted at the newest rate, and totals, tiers and sorting compare like with like."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Contract, ExchangeRate
from customers.selectors.money import money_to_reporting, rates_on
from customers.services.accounts import account_update
from customers.services.contracts import contract_update
from customers.services.money import account_arr_reporting_refresh, exchange_rate_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_book(staff, actors):
    """csm1's book: 100,000 USD, 90,000 EUR and 50,000 GBP, registered through the tool."""
    ids = {}
    for name, arr, currency in (("Dollar", 100000, "USD"), ("Euro", 90000, "EUR"),
                                ("Sterling", 50000, "GBP")):  # fmt: skip
        out = invoke_tool("register_client", actors["csm1"], {
            "name": f"{name} Co", "domain": f"{name.lower()}.test", "arr": str(arr),
            "tier": "mid_market", "seats_licensed": 50,
            "currency": currency, "contract_start": str(clock.today() - timedelta(days=30)),
            "contract_end": str(clock.today() + timedelta(days=335)),
            "contact_email": f"ops@{name.lower()}.test",
        })  # fmt: skip
        ids[currency] = out["account_id"]
    return ids


@pytest.mark.date_sensitive
def test_without_rates_only_reporting_currency_accounts_are_converted(mixed_book, actors):
    arr = dict(Account.objects.values_list("currency", "arr_reporting"))
    assert arr == {"USD": Decimal("100000.00"), "EUR": None, "GBP": None}
    totals = invoke_tool("list_clients", actors["csm1"], {})["totals"]
    assert totals["reporting_currency"] == "USD"
    assert Decimal(totals["arr_total"]) == Decimal("100000.00")  # never EUR added as dollars
    assert totals["accounts_without_rate"] == 2


@pytest.mark.date_sensitive
def test_a_rate_converts_every_account_in_its_currency_and_totals_follow(mixed_book, actors):
    exchange_rate_set(actor=actors["manager"], base="EUR", rate=Decimal("1.08"),
                      valid_from=clock.today())  # fmt: skip
    exchange_rate_set(actor=actors["manager"], base="GBP", rate=Decimal("1.265"),
                      valid_from=clock.today() - timedelta(days=3))  # fmt: skip
    arr = dict(Account.objects.values_list("currency", "arr_reporting"))
    assert arr == {"USD": Decimal("100000.00"), "EUR": Decimal("97200.00"),
                   "GBP": Decimal("63250.00")}  # fmt: skip
    out = invoke_tool("list_clients", actors["csm1"], {})
    assert Decimal(out["totals"]["arr_total"]) == Decimal("260450.00")
    assert out["totals"]["accounts_without_rate"] == 0
    euro = next(c for c in out["clients"] if c["currency"] == "EUR")
    assert (Decimal(euro["arr"]), Decimal(euro["arr_reporting"])) == (
        Decimal("90000.00"), Decimal("97200.00"),
    )  # fmt: skip
    # A newer rate replaces the older one for today's conversion; the old row stays.
    exchange_rate_set(actor=actors["manager"], base="EUR", rate=Decimal("1.10"),
                      valid_from=clock.today())  # fmt: skip
    assert Account.objects.get(currency="EUR").arr_reporting == Decimal("99000.00")
    assert ExchangeRate.objects.filter(base="EUR").count() == 1  # same day: replaced
    event = AuditEvent.objects.filter(action="exchange_rate.set").latest("id")
    assert event.changes["accounts_reconverted"] == 1 and event.actor_label == "user:manager"


@pytest.mark.date_sensitive
def test_value_tiers_compare_in_the_reporting_currency(mixed_book, actors):
    exchange_rate_set(actor=None, base="EUR", rate=Decimal("1.20"), valid_from=clock.today())
    out = invoke_tool("segment_by_value_tier", actors["csm1"],
                      {"boundaries": ["95000", "105000"], "list_tier": 1})  # fmt: skip
    assert out["reporting_currency"] == "USD" and out["accounts_without_rate"] == 1  # GBP
    counts = [t["accounts"] for t in out["tiers"]]
    # 90,000 EUR is 108,000 USD: the top tier, above the 100,000 USD account.
    assert counts == [0, 1, 1]
    assert [a["currency"] for a in out["accounts"]] == ["USD"]


@pytest.mark.date_sensitive
def test_changing_an_accounts_amount_or_currency_reconverts_it(mixed_book, actors):
    exchange_rate_set(actor=None, base="EUR", rate=Decimal("1.08"), valid_from=clock.today())
    account = Account.objects.get(pk=mixed_book["USD"])
    # The account's ARR follows its contract (customers.services.contracts): the change is
    # made there, and the account is re-converted in the same transaction.
    contract = Contract.objects.get(account=account)
    contract_update(actor=actors["manager"], instance=contract, changes={"currency": "EUR"})
    assert Account.objects.get(pk=account.pk).arr_reporting == Decimal("108000.00")
    contract_update(actor=actors["manager"], instance=contract, changes={"arr": Decimal("1000")})
    assert Account.objects.get(pk=account.pk).arr_reporting == Decimal("1080.00")
    # An account without contracts keeps its typed ARR, re-converted when it changes.
    bare = Account.objects.create(name="No contract", arr=Decimal("10"), currency="USD")
    account_update(actor=actors["manager"], account=bare, changes={"currency": "EUR"})
    assert Account.objects.get(pk=bare.pk).arr_reporting == Decimal("10.80")


@pytest.mark.date_sensitive
def test_a_future_rate_is_not_used_before_its_day(mixed_book, travel):
    exchange_rate_set(actor=None, base="EUR", rate=Decimal("2"),
                      valid_from=clock.today() + timedelta(days=2))  # fmt: skip
    assert Account.objects.get(currency="EUR").arr_reporting is None
    assert money_to_reporting(Decimal("10"), "EUR") is None
    travel(clock.today() + timedelta(days=2))
    assert account_arr_reporting_refresh(currencies=["EUR"]) == 1
    assert Account.objects.get(currency="EUR").arr_reporting == Decimal("180000.00")
    assert set(rates_on()) == {"EUR"}


@pytest.mark.date_sensitive
@pytest.mark.parametrize(
    ("base", "rate", "field"),
    [
        ("USD", "1.0", "base"),
        ("EUR", "0", "rate"),
        ("EUR", "-1", "rate"),
        ("XYZ", "1", "base"),
        ("EUR", "NaN", "rate"),
    ],  # fmt: skip
)
def test_bad_rates_are_refused_naming_the_field_and_write_nothing(mixed_book, base, rate, field):
    with pytest.raises(InvalidInput) as caught:
        exchange_rate_set(actor=None, base=base, rate=Decimal(rate), valid_from=clock.today())
    assert caught.value.details["errors"][0]["field"] == field
    assert not ExchangeRate.objects.exists()


@pytest.mark.date_sensitive
def test_the_command_records_a_rate_and_reconverts(mixed_book, capsys):
    call_command("set_exchange_rate", "--base", "gbp", "--rate", "1.25",
                 "--valid-from", str(clock.today()))  # fmt: skip
    assert Account.objects.get(currency="GBP").arr_reporting == Decimal("62500.00")
    assert "GBP" in capsys.readouterr().out
    event = AuditEvent.objects.get(action="exchange_rate.set")
    assert (event.actor_label, event.channel) == ("system:set_exchange_rate", "task")


@pytest.mark.date_sensitive
def test_the_demo_seed_stores_dated_rates_and_converted_arr(db):
    call_command("seed_demo", "--accounts=40", "--seed=5", "--reset", verbosity=0)
    rates = rates_on()
    assert set(rates) == {"EUR", "GBP"} and rates["EUR"].valid_from < clock.today()
    mismatched = [
        a.pk for a in Account.objects.all()
        if a.arr_reporting != money_to_reporting(a.arr, a.currency, rates)
    ]  # fmt: skip
    assert mismatched == [] and Account.objects.exclude(currency="USD").exists()
