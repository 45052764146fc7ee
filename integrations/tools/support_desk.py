"""Support-desk tools: ticket routing, the knowledge base, customer portals, performance."""

from __future__ import annotations

from cs_platform.core.contracts.actions import action_fields_check
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor
from integrations.models import ArticleStatus, KnowledgeArticle, TicketRoutingRule
from integrations.selectors.support_desk import (
    agent_load,
    article_get,
    article_list,
    article_search,
    article_versions,
    portal_settings_get,
    routing_plan,
    routing_rule_get,
    routing_rules,
    support_performance,
    support_tickets_for_actor,
    unassigned_open_tickets,
)
from integrations.services.knowledge import article_create, article_delete, article_update
from integrations.services.support_desk import (
    PORTAL_FIELDS,
    ROUTING_RULE_FIELDS,
    article_vote,
    portal_settings_update,
    routing_apply,
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
)
from integrations.tasks import outbox_deliver_on_commit
from integrations.tools.support_desk_contracts import (
    AgentLoadOut,
    AnalyzeSupportPerformanceInput,
    AnalyzeSupportPerformanceOutput,
    ArticleOut,
    ArticleVersionOut,
    ManageCustomerPortalInput,
    ManageCustomerPortalOutput,
    ManageKnowledgeBaseInput,
    ManageKnowledgeBaseOutput,
    PortalOut,
    RouteTicketsInput,
    RouteTicketsOutput,
    RoutingDecisionOut,
    RoutingRuleOut,
    UpdateKnowledgeBaseInput,
    UpdateKnowledgeBaseOutput,
)

_RULE = set(ROUTING_RULE_FIELDS)


def _rule_out(rule: TicketRoutingRule) -> RoutingRuleOut:
    return RoutingRuleOut(
        id=rule.pk,
        name=rule.name,
        position=rule.position,
        is_active=rule.is_active,
        match_priority=rule.match_priority,
        match_tier=rule.match_tier,
        match_tag=rule.match_tag,
        match_keyword=rule.match_keyword,
        agents=list(rule.agents),
    )


@tool(permission="write", read_only=False, read_actions=("list_rules", "load", "dry_run"))
def route_tickets(ctx: ToolContext, params: RouteTicketsInput) -> RouteTicketsOutput:
    """Route open tickets by stored rules. Rules are tried by position; a ticket matching
    all of a rule's non-empty conditions (priority, account tier, tag, keyword) goes to the
    rule's agent with the fewest open tickets now (ties by name; each placement counts
    toward the next). dry_run shows the placement of unassigned open tickets (or
    ticket_ids) in your book without writing; route assigns them (audited, mirrored).
    Rules are changed by CS managers."""
    action_fields_check(
        params,
        required={
            "create_rule": ("name", "agents"),
            "update_rule": ("rule_id",),
            "delete_rule": ("rule_id",),
        },
        allowed={
            "create_rule": _RULE,
            "update_rule": _RULE,
            "dry_run": ("account_id", "ticket_ids", "limit"),
            "route": ("account_id", "ticket_ids", "limit"),
        },
    )
    action = params.action
    out = {"as_of": ctx.now, "action": action, "rules": [], "load": [], "decisions": []}
    counts = {"unrouted": 0, "assigned": 0, "changed": []}
    fields = {f: getattr(params, f) for f in ROUTING_RULE_FIELDS if getattr(params, f) is not None}
    if action == "create_rule":
        rule = routing_rule_create(actor=ctx.actor, fields=fields)
        ctx.audit(rule)
        return RouteTicketsOutput(
            **{**out, "rules": [_rule_out(rule)]}, **{**counts, "changed": sorted(fields)}
        )
    if action == "update_rule":
        rule = routing_rule_get(params.rule_id)
        diff = routing_rule_update(actor=ctx.actor, rule=rule, changes=fields)
        ctx.audit(rule)
        return RouteTicketsOutput(
            **{**out, "rules": [_rule_out(rule)]}, **{**counts, "changed": sorted(diff)}
        )
    if action == "delete_rule":
        rule = routing_rule_get(params.rule_id)
        routing_rule_delete(actor=ctx.actor, rule=rule)
        return RouteTicketsOutput(**out, **{**counts, "changed": ["deleted"]})
    rules = routing_rules(active_only=action in ("dry_run", "route"))
    pool = sorted({a for r in rules for a in r.agents})
    load = agent_load(pool)
    out["load"] = [
        AgentLoadOut(agent=a, open_tickets=n)
        for a, n in sorted(load.items(), key=lambda x: (-x[1], x[0]))
    ]
    if action == "list_rules":
        return RouteTicketsOutput(**{**out, "rules": [_rule_out(r) for r in rules]}, **counts)
    if action == "load":
        return RouteTicketsOutput(**out, **counts)
    if params.account_id is not None:
        account_get_for_actor(ctx.actor, params.account_id)
    tickets = unassigned_open_tickets(
        ctx.actor, account_id=params.account_id, ticket_ids=params.ticket_ids, limit=params.limit
    )
    decisions = routing_plan(rules, tickets, load)
    counts["unrouted"] = sum(1 for d in decisions if d.agent is None)
    if action == "route":
        changes = routing_apply(actor=ctx.actor, decisions=decisions, now=ctx.now)
        deliveries = [c.delivery.pk for c in changes if c.delivery is not None]
        if deliveries:
            outbox_deliver_on_commit(deliveries)
        counts["assigned"] = len(changes)
        counts["changed"] = ["assignee"] if changes else []
        ctx.audit(changes={"assigned_ticket_ids": [c.ticket.pk for c in changes]})
    out["decisions"] = [
        RoutingDecisionOut(
            ticket_id=d.ticket.pk,
            account_id=d.ticket.account_id,
            priority=d.ticket.priority,
            rule=d.rule.name if d.rule else None,
            agent=d.agent,
            agent_load_before=d.agent_load_before,
        )
        for d in decisions
    ]
    return RouteTicketsOutput(**out, **counts)


def _article_out(
    a: KnowledgeArticle, *, rank: float | None = None, body: bool = False
) -> ArticleOut:
    votes = a.helpful_votes + a.unhelpful_votes
    return ArticleOut(
        id=a.pk,
        slug=a.slug,
        title=a.title,
        status=a.status,
        tags=list(a.tags or []),
        version=a.version,
        helpful_votes=a.helpful_votes,
        unhelpful_votes=a.unhelpful_votes,
        helpful_pct=round(100 * a.helpful_votes / votes, 1) if votes else None,
        updated_at=a.updated_at,
        rank=rank,
        body=a.body if body else None,
    )


@tool(permission="write", read_only=False, read_actions=("search", "get", "list"))
def manage_knowledge_base(
    ctx: ToolContext, params: ManageKnowledgeBaseInput
) -> ManageKnowledgeBaseOutput:
    """Search, read and rate knowledge-base articles. search ranks by PostgreSQL full-text
    relevance (English stemming, title above body; quotes, OR and -word work); get returns
    the body and every version with its author; vote records one reader's verdict and
    recounts helpful/unhelpful from the stored votes."""
    action_fields_check(
        params,
        required={
            "search": ("query",),
            "get": ("article_id",),
            "vote": ("article_id", "voter", "helpful"),
        },
        allowed={"search": ("status", "limit"), "list": ("status", "limit")},
    )
    action = params.action
    versions: list[ArticleVersionOut] = []
    if action == "search":
        statuses = [params.status] if params.status else [ArticleStatus.PUBLISHED]
        hits = article_search(params.query or "", statuses=statuses, limit=params.limit)
        articles = [_article_out(h.article, rank=h.rank) for h in hits]
    elif action == "list":
        articles = [_article_out(a) for a in article_list(status=params.status, limit=params.limit)]
    elif action == "get":
        article = article_get(params.article_id)
        articles = [_article_out(article, body=True)]
        versions = [
            ArticleVersionOut(
                version=v.version,
                title=v.title,
                author=v.author.get_username() if v.author else None,
                created_at=v.created_at,
            )
            for v in article_versions(article)
        ]
    else:
        article = article_vote(
            actor=ctx.actor,
            article=article_get(params.article_id),
            voter=params.voter or "",
            helpful=bool(params.helpful),
        )
        ctx.audit(article, changes={"helpful": params.helpful})
        articles = [_article_out(article)]
    return ManageKnowledgeBaseOutput(
        as_of=ctx.now, action=action, articles=articles, versions=versions
    )


@tool(permission="write", read_only=False)
def update_knowledge_base(
    ctx: ToolContext, params: UpdateKnowledgeBaseInput
) -> UpdateKnowledgeBaseOutput:
    """Create, change or delete knowledge-base articles. Every new title or body is stored
    as the next version with its author; status draft/published/archived controls what
    search shows. Returns the fields that changed."""
    content = ("slug", "title", "body", "status", "tags")
    action_fields_check(
        params,
        required={
            "create": ("slug", "title", "body"),
            "update": ("article_id",),
            "delete": ("article_id",),
        },
        allowed={"create": content, "update": content},
    )
    fields = {f: getattr(params, f) for f in content if getattr(params, f) is not None}
    if params.action == "create":
        article = article_create(actor=ctx.actor, fields=fields)
        changed = sorted(fields)
    elif params.action == "update":
        article = article_get(params.article_id)
        if not fields:
            raise field_error("body", "update needs at least one field", code="empty")
        changed = sorted(article_update(actor=ctx.actor, article=article, changes=fields))
    else:
        article_delete(actor=ctx.actor, article=article_get(params.article_id))
        return UpdateKnowledgeBaseOutput(
            as_of=ctx.now, action="delete", article=None, changed=["deleted"]
        )
    ctx.audit(article, changes={"fields": changed})
    return UpdateKnowledgeBaseOutput(
        as_of=ctx.now,
        action=params.action,
        article=_article_out(article, body=True),
        changed=changed,
    )


@tool(permission="write", read_only=False, read_actions=("get",))
def manage_customer_portal(
    ctx: ToolContext, params: ManageCustomerPortalInput
) -> ManageCustomerPortalOutput:
    """Read or change an account's customer-portal settings: on/off, subdomain (unique),
    e-mail domains allowed to sign in, SSO, and whether ticket history, ticket creation
    and the knowledge base are shown. An account never configured answers the defaults
    with configured=false."""
    action_fields_check(
        params,
        required={},
        allowed={"get": ("account_id",), "update": ("account_id", *PORTAL_FIELDS)},
    )
    account = account_get_for_actor(ctx.actor, params.account_id)
    changed: list[str] = []
    if params.action == "update":
        changes = {f: getattr(params, f) for f in PORTAL_FIELDS if getattr(params, f) is not None}
        if not changes:
            raise field_error("body", "update needs at least one setting", code="empty")
        settings, diff, _ = portal_settings_update(
            actor=ctx.actor, account=account, changes=changes
        )
        changed = sorted(diff)
        ctx.audit(settings, changes={"fields": changed}, account_id=account.pk)
    else:
        settings = portal_settings_get(account.pk)
    if settings is None:
        portal = PortalOut(
            configured=False,
            enabled=False,
            subdomain=None,
            allowed_email_domains=[],
            sso_required=False,
            show_ticket_history=True,
            allow_ticket_creation=True,
            show_knowledge_base=True,
            welcome_message="",
            updated_at=None,
        )
    else:
        portal = PortalOut(
            configured=True,
            **{f: getattr(settings, f) for f in PORTAL_FIELDS},
            updated_at=settings.updated_at,
        )
    return ManageCustomerPortalOutput(
        as_of=ctx.now, action=params.action, account_id=account.pk, portal=portal, changed=changed
    )


@tool(permission="read", read_only=True)
def analyze_support_performance(
    ctx: ToolContext, params: AnalyzeSupportPerformanceInput
) -> AnalyzeSupportPerformanceOutput:
    """Support performance over tickets opened in the last `weeks` weeks: SLA attainment
    per priority against the stored SLA policy (an unanswered ticket past its due time is
    a miss), first-response and resolution p50/p90, CSAT (1–5), the open backlog's age and
    opened/resolved counts per ISO week. For one account or your whole book."""
    if params.account_id is not None:
        account_get_for_actor(ctx.actor, params.account_id)
    stats = support_performance(
        support_tickets_for_actor(ctx.actor, params.account_id), now=ctx.now, weeks=params.weeks
    )
    return AnalyzeSupportPerformanceOutput(as_of=ctx.now, account_id=params.account_id, **stats)
