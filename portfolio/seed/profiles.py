"""Account profiles: the archetype and the fixed facts every other generator reads.

The archetype (growing, flat, declining, gone quiet, churned, new and onboarding) drives
all correlated signals: usage, tickets, surveys, payment status, renewal outcomes. Every
block of 20 consecutive account numbers holds each archetype in fixed proportions, in an
order shuffled per block, so even a small portfolio has all of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from customers.models import Currency, Industry, PaymentStatus, PlanStatus, RenewalOutcome, Tier
from portfolio.seed.rng import Calendar, add_years, log_uniform, money, stream, weighted


class Archetype(StrEnum):
    GROWING = "growing"
    FLAT = "flat"
    DECLINING = "declining"
    GONE_QUIET = "gone_quiet"
    CHURNED = "churned"
    ONBOARDING = "new_onboarding"


A = Archetype
BLOCK = (
    *[A.GROWING] * 5,
    *[A.FLAT] * 5,
    *[A.DECLINING] * 3,
    *[A.GONE_QUIET] * 2,
    *[A.CHURNED] * 2,
    *[A.ONBOARDING] * 3,
)
TIERS = ((Tier.ENTERPRISE, 10), (Tier.MID_MARKET, 25), (Tier.SMB, 45), (Tier.STARTUP, 20))
SEATS = {Tier.ENTERPRISE: (300, 4000), Tier.MID_MARKET: (60, 500), Tier.SMB: (12, 120)}
SEATS[Tier.STARTUP] = (4, 30)
# (platform fee, per-seat price range) per year
PRICING = {
    Tier.ENTERPRISE: (25000, 240, 520),
    Tier.MID_MARKET: (8000, 180, 380),
    Tier.SMB: (1500, 120, 300),
    Tier.STARTUP: (600, 80, 200),
}
REGIONS = (("North America", 45), ("EMEA", 30), ("APAC", 15), ("LATAM", 10))
INDUSTRIES = tuple((value, 2 if value == Industry.OTHER else 5) for value in Industry.values)
TTV_DAYS = {Tier.ENTERPRISE: (50, 110), Tier.MID_MARKET: (30, 70), Tier.SMB: (10, 40)}
TTV_DAYS[Tier.STARTUP] = (7, 25)
AGE_DAYS = {A.GROWING: (200, 900), A.FLAT: (200, 1500), A.DECLINING: (300, 1500)}
AGE_DAYS[A.GONE_QUIET] = (250, 1200)
R = RenewalOutcome
OUTCOMES = {
    A.GROWING: ((R.EXPANDED, 55), (R.RENEWED, 42), (R.DOWNGRADED, 3)),
    A.FLAT: ((R.RENEWED, 72), (R.EXPANDED, 12), (R.DOWNGRADED, 16)),
    A.DECLINING: ((R.DOWNGRADED, 45), (R.RENEWED, 50), (R.EXPANDED, 5)),
    A.GONE_QUIET: ((R.RENEWED, 80), (R.DOWNGRADED, 15), (R.EXPANDED, 5)),
}
# How much ARR changed at a renewal with this outcome (after / before).
OUTCOME_FACTOR = {R.RENEWED: (1.0, 1.06), R.EXPANDED: (1.12, 1.5), R.DOWNGRADED: (0.55, 0.88)}
# How ARR drifted between two contracts when no renewal is recorded in the window.
DRIFT = {A.GROWING: (1.05, 1.35), A.FLAT: (0.97, 1.06), A.DECLINING: (0.9, 1.02)}
DRIFT[A.GONE_QUIET] = (0.97, 1.05)
P = PaymentStatus
PAYMENT = {
    A.GROWING: ((P.CURRENT, 93), (P.LATE, 6), (P.DELINQUENT, 1)),
    A.FLAT: ((P.CURRENT, 88), (P.LATE, 9), (P.DELINQUENT, 3)),
    A.DECLINING: ((P.CURRENT, 60), (P.LATE, 28), (P.DELINQUENT, 12)),
    A.GONE_QUIET: ((P.CURRENT, 85), (P.LATE, 12), (P.DELINQUENT, 3)),
    A.CHURNED: ((P.CURRENT, 35), (P.LATE, 35), (P.DELINQUENT, 30)),
    A.ONBOARDING: ((P.CURRENT, 75), (P.UNKNOWN, 25)),
}
PLAN_AGE = {
    PlanStatus.NOT_STARTED: (2, 12),
    PlanStatus.IN_PROGRESS: (15, 90),
    PlanStatus.STALLED: (40, 120),
    PlanStatus.COMPLETED: (45, 120),
}
PS = PlanStatus
PLAN_CYCLE = (
    PS.IN_PROGRESS,
    PS.NOT_STARTED,
    PS.STALLED,
    PS.IN_PROGRESS,
    PS.COMPLETED,
    PS.IN_PROGRESS,
)


@dataclass(frozen=True, slots=True)
class Term:
    """One contract period and what it was worth."""

    start: date
    end: date
    arr: Decimal
    seats: int


@dataclass(frozen=True, slots=True)
class PastRenewal:
    renewal_date: date
    outcome: str
    arr_before: Decimal
    arr_after: Decimal
    closed_on: date
    probability: Decimal  # what the forecast said before it closed


@dataclass(frozen=True, slots=True)
class AccountProfile:
    number: int
    archetype: Archetype
    visible: bool  # False: a "silent" churn whose signals looked fine
    tier: str
    industry: str
    region: str
    currency: str
    seats: int
    arr: Decimal  # current ARR; 0 once churned
    term: Term  # the current (or, once churned, the last) contract
    previous: Term | None
    past_renewal: PastRenewal | None
    customer_since: date
    churned_on: date | None
    ttv_days: int
    plan_status: str | None  # onboarding archetype only
    payment_status: str
    share: float  # typical share of seats active on a weekday
    quiet_from: date | None
    decline_from: float  # 0..1 of the usage window where a decline starts
    contacts: int
    owner_index: int
    parent_number: int | None
    # A declining account in crisis (up to two of the three per block of 20): usage
    # falling hard over the last months, severe tickets, detractors, late payment, and
    # its renewal within 90 days — the red accounts a CSM must see on day one.
    crisis: bool = False

    @property
    def usage_start(self) -> date:
        return self.customer_since + timedelta(days=1)

    @property
    def active(self) -> bool:
        return self.churned_on is None


def _block(seed: int, number: int) -> tuple[Archetype, ...]:
    return _shuffled_block(seed, (number - 1) // len(BLOCK))


@lru_cache(maxsize=64)
def _shuffled_block(seed: int, index: int) -> tuple[Archetype, ...]:
    """Every account of a block asks for it (archetype, plan status, crisis): shuffled
    once per block, not once per question."""
    block = list(BLOCK)
    random.Random(f"{seed}:block:{index}").shuffle(block)
    return tuple(block)


def archetype_of(seed: int, number: int) -> Archetype:
    return _block(seed, number)[(number - 1) % len(BLOCK)]


def plan_status_of(seed: int, number: int) -> str:
    """An onboarding account's plan status, cycling so two blocks hold every status."""
    block, slot = _block(seed, number), (number - 1) % len(BLOCK)
    rank = block[:slot].count(A.ONBOARDING)
    per_block = block.count(A.ONBOARDING)
    return PLAN_CYCLE[(((number - 1) // len(BLOCK)) * per_block + rank) % len(PLAN_CYCLE)]


CRISIS_PER_BLOCK = 2


def crisis_of(seed: int, number: int) -> bool:
    """Two of each block's three declining accounts may be in crisis (those that closed no
    renewal in the last 90 days are): enough that every CSM's book has red accounts
    renewing soon, and that most red accounts in the demo are live customers rather than
    churned ones."""
    block, slot = _block(seed, number), (number - 1) % len(BLOCK)
    return block[slot] == A.DECLINING and block[:slot].count(A.DECLINING) < CRISIS_PER_BLOCK


def _crisis_terms(
    seed: int, number: int, today: date, arr: Decimal, seats: int
) -> tuple[Term, Term, date, str, float]:
    """A crisis account's current term (renewing in 12-85 days), the one before, when it
    became a customer, its payment status and where its usage decline starts. Its own
    random stream: the other generators' draws stay as they were."""
    cr = stream(seed, "crisis", number)
    end = today + timedelta(days=cr.randint(12, 85))
    start = add_years(end, -1)
    factor = cr.uniform(0.95, 1.1)
    previous = Term(add_years(start, -1), start, money(float(arr) / factor), seats)
    since = add_years(start, -cr.randint(1, 3))
    payment = P.DELINQUENT if cr.random() < 0.5 else P.LATE
    return Term(start, end, arr, seats), previous, since, payment, cr.uniform(0.45, 0.65)


def tier_of(seed: int, number: int) -> str:
    return weighted(stream(seed, "profile", number), TIERS)  # the profile stream's first draw


def contacts_of(seed: int, number: int, tier: str) -> int:
    # The sandbox providers draw 2-5 contacts per account from this same string seed, so
    # with one seed every provider contact e-mail exists here (see integrations/sandbox).
    base = random.Random(f"{seed}:contacts:{number}").randint(2, 5)
    extra = {Tier.ENTERPRISE: 4, Tier.MID_MARKET: 2, Tier.SMB: 1}.get(tier, 0)
    return base + extra


def owner_index_of(r: random.Random, tier: str, csm_count: int) -> int:
    """Enterprise and mid-market books sit with the first half of the CSMs."""
    half = max(1, csm_count // 2)
    if tier in (Tier.ENTERPRISE, Tier.MID_MARKET):
        return r.randrange(half)
    return half + r.randrange(max(1, csm_count - half)) if csm_count > 1 else 0


def profile_build(*, seed: int, number: int, cal: Calendar, csm_count: int) -> AccountProfile:
    r = stream(seed, "profile", number)
    tier = weighted(r, TIERS)
    archetype = archetype_of(seed, number)
    industry = weighted(r, INDUSTRIES)
    region = weighted(r, REGIONS)
    currency = Currency.USD
    if region == "EMEA":
        currency = Currency.EUR if r.random() < 0.7 else Currency.GBP
    seats = round(log_uniform(r, *SEATS[tier]))
    if archetype == A.DECLINING:
        seats = max(seats, 20)  # a few users' day-to-day noise would hide the decline
    fee, lo, hi = PRICING[tier]
    arr = money(fee + seats * r.uniform(lo, hi))
    visible = archetype != A.CHURNED or r.random() < 0.75
    ttv = r.randint(*TTV_DAYS[tier])
    today, churned_on, plan_status = cal.today, None, None
    previous = past = None
    if archetype == A.ONBOARDING:
        plan_status = plan_status_of(seed, number)
        since = today - timedelta(days=r.randint(*PLAN_AGE[plan_status]))
        term = Term(since, add_years(since, 1), arr, seats)
    elif archetype == A.CHURNED:
        churned_on = today - timedelta(days=r.randint(3, 88))
        years = r.randint(1, 3)
        since = add_years(churned_on, -years)
        term = Term(add_years(churned_on, -1), churned_on, arr, seats)
        if years > 1:
            factor = r.uniform(0.95, 1.15)
            before_seats = max(1, round(seats / factor))
            previous = Term(
                add_years(churned_on, -2), term.start, money(float(arr) / factor), before_seats
            )
        closed_on = churned_on - timedelta(days=r.randint(0, 14))
        prob = Decimal(str(round(r.uniform(0.25, 0.55) if visible else r.uniform(0.7, 0.9), 2)))
        past = PastRenewal(churned_on, R.CHURNED, arr, Decimal("0.00"), closed_on, prob)
        arr = Decimal("0.00")
    else:
        since = today - timedelta(days=r.randint(*AGE_DAYS[archetype]))
        start, years = since, 0
        while add_years(since, years + 1) <= cal.last_day:
            years += 1
            start = add_years(since, years)
        term = Term(start, add_years(start, 1), arr, seats)
        if years:
            in_window = start >= today - timedelta(days=90)
            outcome = weighted(r, OUTCOMES[archetype]) if in_window else None
            factor = r.uniform(*(OUTCOME_FACTOR[outcome] if outcome else DRIFT[archetype]))
            before = money(float(arr) / factor)
            previous = Term(add_years(start, -1), start, before, max(1, round(seats / factor)))
            if outcome:
                closed_on = start - timedelta(days=r.randint(0, 20))
                prob = Decimal(str(round(r.uniform(0.35, 0.97), 2)))
                past = PastRenewal(start, outcome, before, arr, closed_on, prob)
    share_range = {
        A.GROWING: (0.45, 0.62),  # x1.5 by the end of the window
        A.FLAT: (0.35, 0.65),
        A.DECLINING: (0.3, 0.5),  # already slipping before the window began
        A.GONE_QUIET: (0.35, 0.6),
        A.CHURNED: (0.15, 0.35) if visible else (0.35, 0.6),
        A.ONBOARDING: (0.08, 0.18) if plan_status == PlanStatus.STALLED else (0.3, 0.6),
    }[archetype]
    share = r.uniform(*share_range)
    quiet_from = today - timedelta(days=r.randint(21, 28)) if archetype == A.GONE_QUIET else None
    decline_from = r.uniform(0.0, 0.3)
    payment = weighted(r, PAYMENT[archetype] if visible else PAYMENT[A.FLAT])
    owner_index = owner_index_of(r, tier, csm_count)
    parent = None
    if tier in (Tier.MID_MARKET, Tier.SMB) and number > 20 and r.random() < 0.04:
        candidate = r.randint(1, number - 1)
        if tier_of(seed, candidate) == Tier.ENTERPRISE:
            parent = candidate
    # A renewal closed in the last 90 days stays as it was (the backtest scores it).
    crisis = crisis_of(seed, number) and past is None
    if crisis:
        term, previous, since, payment, decline_from = _crisis_terms(
            seed, number, today, arr, seats
        )
    return AccountProfile(
        number=number,
        archetype=archetype,
        visible=visible,
        tier=tier,
        industry=industry,
        region=region,
        currency=currency,
        seats=seats,
        arr=arr,
        term=term,
        previous=previous,
        past_renewal=past,
        customer_since=since,
        churned_on=churned_on,
        ttv_days=ttv,
        plan_status=plan_status,
        payment_status=payment,
        share=share,
        quiet_from=quiet_from,
        decline_from=decline_from,
        contacts=contacts_of(seed, number, tier),
        owner_index=owner_index,
        parent_number=parent,
        crisis=crisis,
    )


def csm_count_for(accounts: int) -> int:
    """About one CSM per 200 accounts, at least 2, at most 50."""
    return max(2, min(50, -(-accounts // 200)))
