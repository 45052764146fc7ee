"""Revenue from contract history: each account's ARR in force on a day, and net and gross
revenue retention (NRR, GRR) between two days.

ARR in force on day d is the sum of the ARR of the account's contracts with
start_date ≤ d < end_date that were signed (pending ones never were), converted into the
reporting currency at the rates valid on the period's last day, so currency moves do not
show up as expansion or contraction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from customers.models import Account, Contract, ContractStatus
from customers.selectors.money import CENT, money_to_reporting, rates_on

RETENTION_DEFINITIONS = {
    "arr_on_day": "Sum of ARR of the account's signed contracts with start_date ≤ day < "
    "end_date, in the reporting currency at the rates of `end`.",
    "cohort": "Accounts with ARR > 0 on `start`; accounts that start paying later are "
    "new_logo_arr, outside NRR and GRR.",
    "nrr_pct": "Cohort ARR on `end` / cohort ARR on `start` × 100.",
    "grr_pct": "(Cohort ARR on `start` − contraction − churn) / cohort ARR on `start` × 100 "
    "(each account counted at most at its starting ARR).",
}


@dataclass
class RetentionFigures:
    start_arr: Decimal = Decimal(0)
    end_arr: Decimal = Decimal(0)
    expansion: Decimal = Decimal(0)
    contraction: Decimal = Decimal(0)
    churn: Decimal = Decimal(0)
    new_logo_arr: Decimal = Decimal(0)
    accounts_start: int = 0
    accounts_retained: int = 0
    accounts_churned: int = 0
    new_logos: int = 0
    unconverted_contracts: int = 0
    by_account: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def add(self, account_id: int, start: Decimal, end: Decimal) -> None:
        if start <= 0:
            if end > 0:
                self.new_logo_arr += end
                self.new_logos += 1
            return
        self.by_account[account_id] = (start, end)
        self.accounts_start += 1
        self.start_arr += start
        self.end_arr += end
        if end <= 0:
            self.churn += start
            self.accounts_churned += 1
            return
        self.accounts_retained += 1
        if end > start:
            self.expansion += end - start
        else:
            self.contraction += start - end

    def pct(self, value: Decimal) -> float | None:
        if self.start_arr <= 0:
            return None
        return float((value * 100 / self.start_arr).quantize(Decimal("0.1"), ROUND_HALF_UP))

    @property
    def nrr_pct(self) -> float | None:
        return self.pct(self.end_arr)

    @property
    def grr_pct(self) -> float | None:
        return self.pct(self.start_arr - self.contraction - self.churn)

    @property
    def logo_retention(self) -> float | None:
        if not self.accounts_start:
            return None
        return self.accounts_retained / self.accounts_start

    def as_dict(self) -> dict[str, Any]:
        money = {
            k: getattr(self, k).quantize(CENT, ROUND_HALF_UP)
            for k in ("start_arr", "end_arr", "expansion", "contraction", "churn", "new_logo_arr")
        }
        return {
            **money,
            "nrr_pct": self.nrr_pct,
            "grr_pct": self.grr_pct,
            "accounts_start": self.accounts_start,
            "accounts_retained": self.accounts_retained,
            "accounts_churned": self.accounts_churned,
            "new_logos": self.new_logos,
        }


def arr_in_force(
    accounts: QuerySet[Account], days: list[date], *, rates_day: date
) -> tuple[dict[int, list[Decimal]], dict[int, str], int]:
    """Per account: ARR in force on each of `days` (reporting currency), the account's
    tier, and how many contracts had no rate (left out, reported). One query."""
    rates = rates_on(rates_day)
    first, last = min(days), max(days)
    rows = (
        Contract.objects.filter(account__in=accounts, start_date__lte=last, end_date__gt=first)
        .exclude(status=ContractStatus.PENDING)
        .values_list("account_id", "account__tier", "start_date", "end_date", "arr", "currency")
    )
    totals: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(days))
    tiers: dict[int, str] = {}
    unconverted = 0
    for account_id, tier, start, end, arr, currency in rows:
        tiers[account_id] = tier
        value = money_to_reporting(arr, currency, rates)
        if value is None:
            unconverted += 1
            continue
        for i, day in enumerate(days):
            if start <= day < end:
                totals[account_id][i] += value
    return dict(totals), tiers, unconverted


def revenue_retention(
    accounts: QuerySet[Account], *, start: date, end: date
) -> tuple[RetentionFigures, dict[str, RetentionFigures]]:
    """NRR/GRR of the accounts between `start` and `end`, overall and by tier."""
    arr, tiers, unconverted = arr_in_force(accounts, [start, end], rates_day=end)
    overall = RetentionFigures(unconverted_contracts=unconverted)
    by_tier: dict[str, RetentionFigures] = defaultdict(RetentionFigures)
    for account_id in sorted(arr):
        s, e = arr[account_id]
        overall.add(account_id, s, e)
        by_tier[tiers[account_id]].add(account_id, s, e)
    return overall, dict(by_tier)
