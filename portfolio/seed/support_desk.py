"""The support desk of the demo: the SLA policy, routing rules over the demo's agents,
knowledge-base articles (with versions and readers' votes) and customer-portal settings
for the enterprise accounts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from integrations.services.ticket_sla import SLA_TARGETS_MINUTES
from portfolio.seed.context import SeedContext
from portfolio.seed.rng import at, stream
from portfolio.seed.support import AGENTS

Row = dict[str, Any]

ROUTING_RULES = (
    ("Urgent to senior agents", {"match_priority": "urgent"}, AGENTS[:2]),
    ("Enterprise accounts", {"match_tier": "enterprise"}, AGENTS[1:4]),
    ("Billing questions", {"match_keyword": "invoice"}, AGENTS[4:5]),
    ("Everything else", {}, AGENTS),
)

ARTICLES = (
    (
        "reset-password",
        "Reset a user's password",
        "Admins open Settings → Users, pick the user and choose Reset password. The user gets "
        "an e-mail with a link valid for 24 hours. With single sign-on, passwords are managed "
        "by your identity provider instead.",
        ["account", "login"],
    ),
    (
        "configure-sso",
        "Configure single sign-on (SAML)",
        "Upload your identity provider's metadata under Settings → Security → SSO, map the "
        "email attribute and test with one user before enforcing SSO for everyone.",
        ["login", "security"],
    ),
    (
        "export-csv",
        "Export reports to CSV",
        "Every report has an Export button. Large exports run in the background and arrive by "
        "e-mail; exports over one million rows are split into several files.",
        ["reports"],
    ),
    (
        "invite-users",
        "Invite users and assign seats",
        "Invite teammates from Settings → Users. Each active user takes one seat; deactivated "
        "users free their seat at once.",
        ["account", "seats"],
    ),
    (
        "invoice-questions",
        "Understand your invoice",
        "Invoices list seats, add-ons and prorated changes. Download past invoices under "
        "Billing; contact support to change the billing address or VAT number.",
        ["billing"],
    ),
    (
        "api-rate-limits",
        "API rate limits",
        "The API allows 600 requests per minute per token. A 429 answer carries Retry-After; "
        "back off and retry after that many seconds.",
        ["api"],
    ),
    (
        "dashboard-slow",
        "Dashboards load slowly",
        "Narrow the date range, remove unused widgets and prefer saved segments over ad-hoc "
        "filters. Dashboards with more than 30 widgets are cached for five minutes.",
        ["performance", "reports"],
    ),
    (
        "data-retention",
        "Data retention and deletion",
        "Raw events are kept for 25 months. Admins can request deletion of a user's data "
        "under Settings → Privacy; it completes within 30 days.",
        ["security", "privacy"],
    ),
)


@dataclass
class SupportDeskRows:
    policies: list[Row] = field(default_factory=list)
    rules: list[Row] = field(default_factory=list)
    articles: list[Row] = field(default_factory=list)
    versions: list[Row] = field(default_factory=list)
    votes: list[Row] = field(default_factory=list)


def support_desk_rows(ctx: SeedContext) -> SupportDeskRows:
    out = SupportDeskRows()
    created = at(ctx.cal.today.replace(day=1), 9)
    for i, (priority, (first, resolution)) in enumerate(sorted(SLA_TARGETS_MINUTES.items()), 1):
        out.policies.append(
            {
                "id": i,
                "priority": priority,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "updated_at": created,
            }
        )
    blank = {"match_priority": "", "match_tier": "", "match_tag": "", "match_keyword": ""}
    for i, (name, match, agents) in enumerate(ROUTING_RULES, 1):
        out.rules.append(
            {
                "id": i,
                "name": name,
                "position": i * 10,
                "is_active": True,
                **blank,
                **match,
                "agents": sorted(agents),
                "created_at": created,
                "updated_at": created,
            }
        )
    r = stream(ctx.seed, "knowledge", 0)
    readers = [cid for p in ctx.profiles[:60] for cid in list(ctx.contact_ids(p))[:2]]
    for i, (slug, title, body, tags) in enumerate(ARTICLES, 1):
        revised = r.random() < 0.5
        out.articles.append(
            {
                "id": i,
                "slug": slug,
                "title": title,
                "body": body,
                "status": "published",
                "tags": tags,
                "version": 2 if revised else 1,
                "created_at": created,
                "updated_at": created,
            }
        )
        out.versions.append(
            {
                "id": len(out.versions) + 1,
                "article_id": i,
                "version": 1,
                "title": title,
                "body": body.split(". ")[0] + ".",
                "created_at": created,
            }
        )
        if revised:
            out.versions.append(
                {
                    "id": len(out.versions) + 1,
                    "article_id": i,
                    "version": 2,
                    "title": title,
                    "body": body,
                    "created_at": created,
                }
            )
        helpful_share = r.uniform(0.5, 0.95)
        voters = r.sample(readers, min(len(readers), r.randint(3, 25)))
        for voter in voters:
            out.votes.append(
                {
                    "id": len(out.votes) + 1,
                    "article_id": i,
                    "voter": f"contact:{voter}",
                    "helpful": r.random() < helpful_share,
                    "created_at": created,
                }
            )
    counts: dict[int, list[int]] = {}
    for v in out.votes:
        counts.setdefault(v["article_id"], [0, 0])[0 if v["helpful"] else 1] += 1
    for a in out.articles:
        a["helpful_votes"], a["unhelpful_votes"] = counts.get(a["id"], [0, 0])
    return out


def portal_settings_rows(ctx: SeedContext) -> Iterator[Row]:
    """Enterprise accounts run a portal; a few mid-market ones have one switched off."""
    n = 0
    for p in ctx.profiles:
        if p.tier not in ("enterprise", "mid_market") or not p.active:
            continue
        r = stream(ctx.seed, "portal", p.number)
        enabled = p.tier == "enterprise" or r.random() < 0.3
        n += 1
        yield {
            "id": n,
            "account_id": p.number,
            "enabled": enabled,
            "subdomain": f"customer-{p.number}",
            "allowed_email_domains": [],
            "sso_required": p.tier == "enterprise" and r.random() < 0.5,
            "show_ticket_history": True,
            "allow_ticket_creation": enabled,
            "show_knowledge_base": True,
            "welcome_message": "",
            "updated_at": at(ctx.cal.today, 8),
        }
