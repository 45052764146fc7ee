"""Reads behind the support-desk tools: the SLA policy in force, agent load, the routing
plan, knowledge-base search and support performance. Every ticket read is scoped to the
actor's accounts; agent load counts every open ticket (an agent's queue is one queue)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from cs_platform.core.actors import Actor
from cs_platform.core.tickets import TICKET_OPEN_STATUSES, TicketPriority
from customers.selectors import account_list_for_actor
from integrations.models import (
    ArticleStatus,
    KnowledgeArticle,
    SlaPolicy,
    SupportTicket,
    TicketRoutingRule,
)
from integrations.services.ticket_sla import SLA_TARGETS_MINUTES

PRIORITY_ORDER = (
    TicketPriority.URGENT,
    TicketPriority.HIGH,
    TicketPriority.NORMAL,
    TicketPriority.LOW,
)


@dataclass(frozen=True)
class SlaTarget:
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    source: str  # "policy" (a stored row) or "default"


def sla_policy() -> dict[str, SlaTarget]:
    """The target of every priority: its stored policy row, else the documented default."""
    stored = {p.priority: p for p in SlaPolicy.objects.all()}
    out = {}
    for priority in PRIORITY_ORDER:
        row = stored.get(priority)
        if row is not None:
            out[priority] = SlaTarget(
                priority, row.first_response_minutes, row.resolution_minutes, "policy"
            )
        else:
            first, resolution = SLA_TARGETS_MINUTES[priority]
            out[priority] = SlaTarget(priority, first, resolution, "default")
    return out


def sla_policy_targets_for(priority: str) -> tuple[int, int]:
    """(first response, resolution) minutes for a new or re-prioritised ticket."""
    row = SlaPolicy.objects.filter(priority=priority).first()
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return SLA_TARGETS_MINUTES[priority]


# --- routing -------------------------------------------------------------------------


def agent_load(agents: Iterable[str] | None = None) -> dict[str, int]:
    """Open tickets per assignee (agents named in `agents` with none get 0)."""
    rows = (
        SupportTicket.objects.filter(status__in=TICKET_OPEN_STATUSES)
        .exclude(assignee="")
        .values("assignee")
        .annotate(n=Count("id"))
    )
    load = {r["assignee"]: r["n"] for r in rows}
    for agent in agents or ():
        load.setdefault(agent, 0)
    return load


def routing_rules(*, active_only: bool = False) -> list[TicketRoutingRule]:
    qs = TicketRoutingRule.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs)


def rule_matches(rule: TicketRoutingRule, ticket: SupportTicket, tier: str) -> bool:
    if rule.match_priority and ticket.priority != rule.match_priority:
        return False
    if rule.match_tier and tier != rule.match_tier:
        return False
    if rule.match_tag and rule.match_tag not in (ticket.tags or []):
        return False
    if rule.match_keyword:
        text = f"{ticket.subject}\n{ticket.description}".casefold()
        if rule.match_keyword.casefold() not in text:
            return False
    return True


@dataclass(frozen=True)
class RoutingDecision:
    ticket: SupportTicket
    rule: TicketRoutingRule | None
    agent: str | None
    agent_load_before: int | None


def routing_plan(
    rules: Sequence[TicketRoutingRule], tickets: Sequence[SupportTicket], load: dict[str, int]
) -> list[RoutingDecision]:
    """Where each ticket goes: the first matching rule's least-loaded agent (ties by name).
    Each assignment adds to that agent's load before the next ticket is placed, so one
    batch spreads over the pool instead of piling onto one agent."""
    load = dict(load)
    out = []
    for ticket in tickets:
        tier = ticket.account.tier
        rule = next((r for r in rules if rule_matches(r, ticket, tier)), None)
        if rule is None:
            out.append(RoutingDecision(ticket, None, None, None))
            continue
        agent = min(rule.agents, key=lambda a: (load.get(a, 0), a))
        before = load.get(agent, 0)
        load[agent] = before + 1
        out.append(RoutingDecision(ticket, rule, agent, before))
    return out


def unassigned_open_tickets(
    actor: Actor, *, account_id: int | None, ticket_ids: list[int] | None, limit: int
) -> list[SupportTicket]:
    """Open tickets in the actor's scope without an assignee (or the named ones), oldest
    first, with their account (for tier rules)."""
    qs = SupportTicket.objects.filter(
        account__in=account_list_for_actor(actor), status__in=TICKET_OPEN_STATUSES
    ).select_related("account")
    if ticket_ids:
        qs = qs.filter(pk__in=ticket_ids)
    else:
        qs = qs.filter(assignee="")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return list(qs.order_by("opened_at", "id")[:limit])


# --- knowledge base --------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleHit:
    article: KnowledgeArticle
    rank: float


def article_search(
    query: str, *, statuses: Sequence[str] = (ArticleStatus.PUBLISHED,), limit: int = 10
) -> list[ArticleHit]:
    """Articles matching `query`, best first. PostgreSQL: full-text search (English
    stemming, title weighted above body, `websearch` syntax: quotes, OR, -word) ranked by
    ts_rank. Other databases: every word must appear in title or body; rank = how many
    times the words occur, title hits counting double."""
    qs = KnowledgeArticle.objects.filter(status__in=list(statuses))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "body", weight="B", config="english"
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        rows = (
            qs.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)  # @@: only matching articles, then by rank
            .order_by("-rank", "id")[:limit]
        )
        return [ArticleHit(a, round(float(a.rank), 4)) for a in rows]
    words = [w for w in query.casefold().split() if w]
    if not words:
        return []
    for word in words:
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    hits = []
    for a in qs[:500]:
        title, body = a.title.casefold(), a.body.casefold()
        score = sum(2 * title.count(w) + body.count(w) for w in words)
        hits.append(ArticleHit(a, float(score)))
    hits.sort(key=lambda h: (-h.rank, h.article.pk))
    return hits[:limit]


# --- performance -----------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (PostgreSQL's percentile_cont); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def support_performance(
    tickets: QuerySet[SupportTicket], *, now: datetime, weeks: int
) -> dict[str, Any]:
    """SLA attainment by priority (against the policy in force), first-response and
    resolution percentiles, CSAT, backlog age and weekly volumes, over tickets opened in
    the last `weeks` weeks (backlog: every ticket open now). Three queries whatever the
    number of tickets."""
    policy = sla_policy()
    since = datetime.combine(_week_start(now.date()), datetime.min.time(), tzinfo=now.tzinfo)
    since -= timedelta(weeks=weeks - 1)
    rows = list(
        tickets.filter(opened_at__gte=since).values_list(
            "priority", "opened_at", "first_response_at", "resolved_at", "satisfaction"
        )
    )
    by_priority: dict[str, dict[str, int]] = {p: Counter() for p in PRIORITY_ORDER}
    first_minutes: list[float] = []
    resolution_hours: list[float] = []
    csat: list[int] = []
    opened_weeks: Counter[date] = Counter()
    resolved_weeks: Counter[date] = Counter()
    for priority, opened, first, resolved, satisfaction in rows:
        target = policy[priority]
        c = by_priority[priority]
        c["tickets"] += 1
        opened_weeks[_week_start(opened.date())] += 1
        first_due = opened + timedelta(minutes=target.first_response_minutes)
        if first is not None:
            first_minutes.append((first - opened).total_seconds() / 60)
            c["fr_judged"] += 1
            c["fr_met"] += first <= first_due
        elif now > first_due:
            c["fr_judged"] += 1  # overdue and still unanswered: a miss
        res_due = opened + timedelta(minutes=target.resolution_minutes)
        if resolved is not None:
            resolution_hours.append((resolved - opened).total_seconds() / 3600)
            resolved_weeks[_week_start(resolved.date())] += 1
            c["res_judged"] += 1
            c["res_met"] += resolved <= res_due
        elif now > res_due:
            c["res_judged"] += 1
        if satisfaction is not None:
            csat.append(satisfaction)
    backlog_opened = list(
        tickets.filter(status__in=TICKET_OPEN_STATUSES).values_list("opened_at", flat=True)
    )
    ages = [(now - o).total_seconds() / 86400 for o in backlog_opened]

    def rounded(v: float | None, digits: int = 1) -> float | None:
        return None if v is None else round(v, digits)

    week_list = [_week_start(since.date()) + timedelta(weeks=i) for i in range(weeks)]
    return {
        "window_start": since,
        "tickets": len(rows),
        "sla_by_priority": [
            {
                "priority": p,
                "first_response_target_minutes": policy[p].first_response_minutes,
                "resolution_target_minutes": policy[p].resolution_minutes,
                "policy_source": policy[p].source,
                "tickets": by_priority[p]["tickets"],
                "first_response_met_pct": _pct(
                    by_priority[p]["fr_met"], by_priority[p]["fr_judged"]
                ),
                "resolution_met_pct": _pct(by_priority[p]["res_met"], by_priority[p]["res_judged"]),
            }
            for p in PRIORITY_ORDER
        ],
        "first_response_minutes": {
            "n": len(first_minutes),
            "p50": rounded(percentile(first_minutes, 50)),
            "p90": rounded(percentile(first_minutes, 90)),
        },
        "resolution_hours": {
            "n": len(resolution_hours),
            "p50": rounded(percentile(resolution_hours, 50)),
            "p90": rounded(percentile(resolution_hours, 90)),
        },
        "csat": {
            "responses": len(csat),
            "average": rounded(sum(csat) / len(csat), 2) if csat else None,
            "satisfied_pct": _pct(sum(1 for s in csat if s >= 4), len(csat)),
        },
        "backlog": {
            "open": len(ages),
            "age_days_p50": rounded(percentile(ages, 50)),
            "age_days_max": rounded(max(ages)) if ages else None,
            "older_than_7_days": sum(1 for a in ages if a > 7),
        },
        "weekly": [
            {"week_start": w, "opened": opened_weeks[w], "resolved": resolved_weeks[w]}
            for w in week_list
        ],
    }


def article_get(article_id: int) -> KnowledgeArticle:
    from cs_platform.core.errors import NotFound

    article = KnowledgeArticle.objects.filter(pk=article_id).first()
    if article is None:
        raise NotFound(f"no article {article_id}", details={"field": "article_id"})
    return article


def article_list(*, status: str | None, limit: int) -> list[KnowledgeArticle]:
    qs = KnowledgeArticle.objects.order_by("-updated_at", "id")
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


def article_versions(article: KnowledgeArticle) -> list[Any]:
    return list(article.versions.select_related("author").order_by("-version"))


def routing_rule_get(rule_id: int) -> TicketRoutingRule:
    from cs_platform.core.errors import NotFound

    rule = TicketRoutingRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}", details={"field": "rule_id"})
    return rule


def portal_settings_get(account_id: int) -> Any:
    from integrations.models import CustomerPortalSettings

    return CustomerPortalSettings.objects.filter(account_id=account_id).first()


def support_tickets_for_actor(actor: Actor, account_id: int | None) -> QuerySet[SupportTicket]:
    qs = SupportTicket.objects.filter(account__in=account_list_for_actor(actor))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs
