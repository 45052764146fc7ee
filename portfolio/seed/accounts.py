"""Rows for the catalogues, accounts and contacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from customers.demo_identity import demo_company, demo_contact_email
from customers.models import AccountStatus, ContactRole, RenewalStage, Tier
from portfolio.seed.catalogue import FEATURES, SURVEYS, TRAINING_MODULES
from portfolio.seed.context import SeedContext
from portfolio.seed.lifecycle import churn_reason
from portfolio.seed.money import arr_in_reporting, demo_rates
from portfolio.seed.rng import at, stream

Row = dict[str, Any]
LAST_NAMES = (
    "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gupta", "Hoffmann",
    "Ivanova", "Jensen", "Kowalski", "Larsen", "Mendes", "Nakamura", "O'Brien", "Petrov",
    "Quinn", "Ramos", "Svensson", "Tremblay", "Usman", "Varga", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
TITLES = {
    ContactRole.CHAMPION: ("Head of Operations", "Analytics Lead", "Product Operations Manager"),
    ContactRole.DECISION_MAKER: ("VP Operations", "Director of Analytics", "COO"),
    ContactRole.EXEC_SPONSOR: ("Chief Technology Officer", "Chief Operating Officer", "CFO"),
    ContactRole.ADMIN: ("Systems Administrator", "IT Manager", "Platform Engineer"),
    ContactRole.BILLING: ("Finance Manager", "Accounts Payable Lead", "Procurement Manager"),
    ContactRole.USER: ("Data Analyst", "Operations Analyst", "Team Lead", "Specialist"),
}


def catalogue_rows() -> dict[str, list[Row]]:
    return {
        "features": [
            {"id": i, "key": f.key, "name": f.name, "category": f.category, "is_tracked": f.tracked}
            for i, f in enumerate(FEATURES, 1)
        ],
        "surveys": [
            {"id": i, "key": s.key, "name": s.name, "kind": s.kind, "question": s.question}
            for i, s in enumerate(SURVEYS, 1)
        ],
        "modules": [
            {
                "id": i,
                "key": m.key,
                "title": m.title,
                "duration_minutes": m.minutes,
                "grants_certification": m.certifies,
                "description": f"{m.title}: a {m.minutes}-minute course.",
            }
            for i, m in enumerate(TRAINING_MODULES, 1)
        ],
    }


def next_open_renewals(renewals: list[Row]) -> dict[int, date]:
    """Each account's earliest renewal not closed: the account's list column, written with
    the account row rather than by a set-based UPDATE after the load (which rewrote every
    account row and its indexes: ~2 s of PostgreSQL CPU per 20,000 accounts)."""
    found: dict[int, date] = {}
    for row in renewals:
        if row["stage"] != RenewalStage.CLOSED:
            account, day = row["account_id"], row["renewal_date"]
            if account not in found or day < found[account]:
                found[account] = day
    return found


def account_rows(ctx: SeedContext, next_renewal: dict[int, date]) -> Iterator[Row]:
    rates = demo_rates()
    for p in ctx.profiles:
        company = demo_company(p.number)
        churned = p.churned_on is not None
        notes = f"Churned on {p.churned_on}: {churn_reason(p, ctx.seed)}." if churned else ""
        yield {
            "id": p.number,
            "name": company.name,
            "domain": company.domain,
            "owner_id": ctx.owner_id(p),
            "parent_id": p.parent_number,
            "tier": p.tier,
            "industry": p.industry,
            "region": p.region,
            "lifecycle_stage": ctx.stage_of(p),
            "status": AccountStatus.CHURNED if churned else AccountStatus.ACTIVE,
            "arr": p.arr,
            "currency": p.currency,
            "arr_reporting": arr_in_reporting(p.arr, p.currency, rates),
            "seats_licensed": p.term.seats,
            "payment_status": p.payment_status,
            "customer_since": p.customer_since,
            "churned_on": p.churned_on,
            "next_open_renewal_date": next_renewal.get(p.number),
            "zendesk_org_id": company.zendesk_org_id,
            "intercom_company_id": company.intercom_company_id,
            "mixpanel_group_id": company.mixpanel_group_id,
            "notes": notes,
            "created_at": at(p.customer_since, 8),
            "updated_at": ctx.stages[p.number - 1][-1].changed_at,
        }


def _role(index: int, tier: str) -> str:
    if index == 0:
        return ContactRole.CHAMPION
    if index == 1:
        return ContactRole.DECISION_MAKER
    if index == 2:
        big = tier in (Tier.ENTERPRISE, Tier.MID_MARKET)
        return ContactRole.EXEC_SPONSOR if big else ContactRole.ADMIN
    if index == 3:
        return ContactRole.BILLING
    return ContactRole.ADMIN if index == 4 else ContactRole.USER


def contact_rows(ctx: SeedContext) -> Iterator[Row]:
    for p in ctx.profiles:
        r = stream(ctx.seed, "contacts", p.number)
        seen_until = ctx.engaged_until(p)
        for index, contact_id in enumerate(ctx.contact_ids(p)):
            email = demo_contact_email(p.number, index)
            role = _role(index, p.tier)
            created = at(p.customer_since + timedelta(days=min(index * 3, 60)), 10)
            seen = None
            if seen_until >= p.usage_start and r.random() < 0.9:
                lag = r.randint(0, 6) if index < 3 else r.randint(0, 40)
                seen_day = max(p.usage_start, seen_until - timedelta(days=lag))
                seen = at(seen_day, r.randint(8, 18), r.randint(0, 59))
            yield {
                "id": contact_id,
                "account_id": p.number,
                "first_name": email.split(".", 1)[0].capitalize(),
                "last_name": r.choice(LAST_NAMES),
                "email": email,
                "title": r.choice(TITLES[role]),
                "role": role,
                "phone": f"+1 555 01{r.randint(0, 99):02d}",
                "is_primary": index == 0,
                "email_opt_out": index > 0 and r.random() < 0.03,
                "last_seen_at": seen,
                "created_at": created,
                "updated_at": max(created, seen) if seen else created,
            }
