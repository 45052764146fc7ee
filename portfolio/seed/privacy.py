"""GDPR demo data: consent answers of the accounts' primary contacts, a few data-subject
requests (one overdue for a contact, one overdue for an address no contact has, one open,
one answered) and the CTAs the daily overdue task raises for them, so the demo shows the
privacy side of the product."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from customers.demo_identity import demo_company, demo_contact_email
from customers.models import CtaReason, CtaStatus, Priority
from gdpr.models import ConsentPurpose, RequestKind, RequestStatus
from gdpr.services.requests import RESPONSE_DAYS
from portfolio.seed.context import SeedContext
from portfolio.seed.rng import at

Row = dict[str, Any]


def consent_rows(ctx: SeedContext) -> Iterator[Row]:
    """Product e-mail granted at signup; marketing e-mail granted on every third account,
    withdrawn again on every sixth (the newest answer per purpose is in force)."""
    next_id = 1
    for p in ctx.profiles:
        contact_id = ctx.first_contact_ids[p.number - 1]
        # Nothing generated is newer than the seed's "now" (a future customer too).
        signup = min(at(p.customer_since, 10), ctx.cal.now - timedelta(days=3))
        rows = [(ConsentPurpose.PRODUCT_EMAIL, True, "signup", signup)]
        if p.number % 3 == 0:
            granted = signup + timedelta(days=1)
            rows.append((ConsentPurpose.MARKETING_EMAIL, True, "newsletter form", granted))
            if p.number % 6 == 0:
                withdrawn = max(
                    granted + timedelta(hours=1), ctx.cal.now - timedelta(days=1 + p.number % 20)
                )
                rows.append((ConsentPurpose.MARKETING_EMAIL, False, "unsubscribe link", withdrawn))
        for purpose, granted_, source, recorded_at in rows:
            yield {
                "id": next_id, "contact_id": contact_id, "purpose": purpose,
                "granted": granted_, "source": source, "recorded_at": recorded_at,
            }  # fmt: skip
            next_id += 1


def _request(rid: int, kind: str, email: str, requested_days_ago: int, ctx: SeedContext) -> Row:
    requested = ctx.cal.now - timedelta(days=requested_days_ago, hours=-9)
    return {
        "id": rid, "kind": kind, "subject_email": email, "status": RequestStatus.RECEIVED,
        "requested_at": requested, "due_at": requested + timedelta(days=RESPONSE_DAYS),
        "completed_at": None, "handled_by_id": None, "result": {},
    }  # fmt: skip


def request_rows(ctx: SeedContext) -> list[Row]:
    """Ids 1-4: overdue export (account 1's primary contact), overdue erasure of an address
    no contact has, an open export, an answered export."""
    n = len(ctx.profiles)
    former = f"former.employee@{demo_company(min(2, n)).domain}"
    answered = _request(4, RequestKind.EXPORT, demo_contact_email(min(4, n), 0), 40, ctx)
    answered |= {
        "status": RequestStatus.COMPLETED,
        "completed_at": answered["requested_at"] + timedelta(days=2),
        "handled_by_id": ctx.staff.manager_id,
        "result": {"counts": {"customers.contact": 1, "gdpr.consentrecord": 1}},
    }
    return [
        _request(1, RequestKind.EXPORT, demo_contact_email(1, 0), RESPONSE_DAYS + 5, ctx),
        _request(2, RequestKind.ERASURE, former, RESPONSE_DAYS + 3, ctx),
        _request(3, RequestKind.EXPORT, demo_contact_email(min(3, n), 0), 12, ctx),
        answered,
    ]


def request_cta_rows(ctx: SeedContext, requests: list[Row], *, first_id: int) -> list[Row]:
    """What `gdpr.requests_overdue` raises for requests 1 and 2: a CTA on account 1 for its
    CSM, and one of no account for the manager (the demo's stand-in DPO)."""
    today = ctx.cal.today

    def cta(rid: int, account_id: int | None, owner_id: int, request: Row) -> Row:
        details: dict[str, Any] = {
            "requests": [
                {"id": request["id"], "kind": request["kind"],
                 "due_at": request["due_at"].isoformat()}
            ]
        }  # fmt: skip
        if account_id is None:
            details["no_contact"] = True
        return {
            "id": rid, "account_id": account_id, "owner_id": owner_id,
            "reason": CtaReason.GDPR_REQUEST,
            "title": "1 GDPR request(s) overdue: answer with gdpr_export/gdpr_erase",
            "priority": Priority.HIGH, "status": CtaStatus.OPEN, "source": "gdpr",
            "details": details, "due_date": today, "escalation_level": 0,
            "created_at": ctx.cal.now, "closed_at": None,
        }  # fmt: skip

    return [
        cta(first_id, 1, ctx.owner_id(ctx.profiles[0]), requests[0]),
        cta(first_id + 1, None, ctx.staff.manager_id, requests[1]),
    ]
