"""Demo communication: an automated renewal check-in rule (run hourly by beat; with the
sandbox SendGrid connected it e-mails the primary contacts of accounts renewing in 55-60
days, once per account per 90 days), a community and an advocacy program with members
and points, newsletter subscriptions and a draft edition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from customers.services.programs import DEFAULT_POINTS
from portfolio.seed.context import SeedContext
from portfolio.seed.rng import at, stream

Row = dict[str, Any]


def communication_rule_rows(ctx: SeedContext) -> list[Row]:
    return [
        {
            "id": 1,
            "name": "Renewal in 60 days: check-in",
            "status": "active",
            "conditions": {
                "match": "all",
                "conditions": [{"field": "days_to_renewal", "op": "between", "value": [55, 60]}],
            },
            "recipient": "primary",
            "category": "service",
            "subject": "{{account_name}}: your renewal is two months away",
            "body": "Hi {{first_name}},\n\nYour renewal is coming up in about two months. "
            "Could we find 30 minutes to look back at the year and plan the next one?\n\n"
            "Best,\n{{csm_name}}",
            "window_days": 90,
            "created_by_id": ctx.staff.manager_id,
            "created_at": at(ctx.cal.today, 8),
        }
    ]


@dataclass
class ProgramRows:
    programs: list[Row] = field(default_factory=list)
    members: list[Row] = field(default_factory=list)
    contributions: list[Row] = field(default_factory=list)
    subscriptions: list[Row] = field(default_factory=list)
    editions: list[Row] = field(default_factory=list)


PROGRAMS = (
    (1, "user-forum", "User forum", "community", ("post", "answer", "accepted_answer", "event")),
    (
        2,
        "champions",
        "Customer champions",
        "advocacy",
        ("review", "reference_call", "referral", "speaking", "case_study"),
    ),
)


def program_rows(ctx: SeedContext) -> ProgramRows:
    """Programs with members from active accounts (the first contact of about one account
    in four per program), a few months of contributions each, and newsletter
    subscriptions for about half the first contacts, plus one draft edition."""
    out = ProgramRows()
    today = ctx.cal.today
    for pid, key, name, kind, kinds in PROGRAMS:
        out.programs.append(
            {
                "id": pid,
                "key": key,
                "name": name,
                "kind": kind,
                "description": "",
                "is_active": True,
            }
        )
        for p in ctx.profiles:
            r = stream(ctx.seed, f"program-{key}", p.number)
            if not p.active or r.random() >= 0.25:
                continue
            member_id = len(out.members) + 1
            joined = today - timedelta(days=r.randint(30, 300))
            out.members.append(
                {
                    "id": member_id,
                    "program_id": pid,
                    "contact_id": ctx.contact_ids(p)[0],
                    "joined_at": at(joined, 10),
                    "left_at": None,
                    "level": r.choice(("member", "silver", "gold")),
                }
            )
            for _ in range(r.randint(0, 6)):
                what = r.choice(kinds)
                out.contributions.append(
                    {
                        "id": len(out.contributions) + 1,
                        "member_id": member_id,
                        "kind": what,
                        "points": DEFAULT_POINTS[kind][what],
                        "occurred_at": at(
                            joined + timedelta(days=r.randint(0, (today - joined).days)), 15
                        ),
                        "note": "",
                    }
                )
    for p in ctx.profiles:
        r = stream(ctx.seed, "newsletter", p.number)
        if p.active and r.random() < 0.5:
            out.subscriptions.append(
                {
                    "id": len(out.subscriptions) + 1,
                    "contact_id": ctx.contact_ids(p)[0],
                    "newsletter": "product-updates",
                    "subscribed_at": at(today - timedelta(days=r.randint(1, 365)), 9),
                    "unsubscribed_at": None,
                    "unsubscribe_source": "",
                }
            )
    out.editions.append(
        {
            "id": 1,
            "newsletter": "product-updates",
            "subject": "{{first_name}}, what's new this month",
            "body": "Hi {{first_name}},\n\nThree things shipped this month: faster reports, "
            "SSO for every plan and a new usage dashboard.\n\n{{csm_name}}",
            "status": "draft",
            "created_by_id": ctx.staff.manager_id,
            "created_at": at(today, 8),
            "sent_at": None,
        }
    )
    return out


@dataclass
class ReviewRows:
    reviews: list[Row] = field(default_factory=list)
    attendees: list[Row] = field(default_factory=list)
    staff: list[Row] = field(default_factory=list)


REVIEW_OBJECTIVES = (
    "Agree the success plan for next year",
    "Confirm renewal intent and scope",
    "Name an executive sponsor on both sides",
    "Review adoption against the goals set at kickoff",
)


def review_rows(ctx: SeedContext) -> ReviewRows:
    """Upcoming executive reviews for about one active enterprise or mid-market account in
    three: the owner and the account's first contact attend."""
    out = ReviewRows()
    for p in ctx.profiles:
        r = stream(ctx.seed, "reviews", p.number)
        if not p.active or p.tier not in ("enterprise", "mid_market") or r.random() >= 0.34:
            continue
        rid = len(out.reviews) + 1
        when = ctx.cal.today + timedelta(days=r.randint(3, 60))
        out.reviews.append(
            {
                "id": rid,
                "account_id": p.number,
                "title": f"Executive business review {when:%b %Y}",
                "scheduled_for": at(when, 15),
                "status": "scheduled",
                "agenda": ["Results since the last review", "Usage and adoption", "Roadmap"],
                "objectives": r.sample(REVIEW_OBJECTIVES, 2),
                "objectives_met": [],
                "outcome": "",
                "held_at": None,
                "activity_id": None,
                "follow_up_cta_id": None,
                "created_by_id": ctx.owner_id(p),
                "created_at": at(ctx.cal.today, 9),
            }
        )
        out.attendees.append(
            {"id": rid, "executivereview_id": rid, "contact_id": ctx.contact_ids(p)[0]}
        )
        out.staff.append({"id": rid, "executivereview_id": rid, "user_id": ctx.owner_id(p)})
    return out
