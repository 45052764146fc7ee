"""Contracts of the support-desk tools: routing, knowledge base, portal, performance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AccountId, AsOf, IdempotencyKey, ToolInput, ToolOutput
from cs_platform.core.tickets import TicketPriority

PriorityName = Literal[tuple(TicketPriority.values)]  # type: ignore[valid-type]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Word = Annotated[str, Field(min_length=1, max_length=80)]

# --- route_tickets -----------------------------------------------------------------------


class RouteTicketsInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"action": "dry_run"}]})

    action: Literal[
        "list_rules", "load", "dry_run", "route", "create_rule", "update_rule", "delete_rule"
    ] = Field(description="dry_run: placements, no writes; route: assign; load: open per agent.")
    rule_id: int | None = Field(default=None, ge=1, description="update_rule/delete_rule.")
    name: Name | None = Field(default=None, description="Rule name (unique).")
    position: int | None = Field(default=None, ge=0, le=1000, description="Lower is tried first.")
    is_active: bool | None = Field(default=None, description="Inactive rules are skipped.")
    match_priority: PriorityName | None = Field(default=None, description="Ticket priority.")
    match_tier: Word | None = Field(default=None, description="Account tier.")
    match_tag: Word | None = Field(default=None, description="A ticket tag.")
    match_keyword: Word | None = Field(default=None, description="In subject or description.")
    agents: list[Name] | None = Field(
        default=None, min_length=1, max_length=50, description="Pool; least-loaded gets it."
    )
    account_id: AccountId | None = Field(default=None, description="dry_run/route: one account.")
    ticket_ids: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, max_length=200, description="dry_run/route: these tickets."
    )
    limit: int = Field(default=50, ge=1, le=200, description="dry_run/route: max tickets.")


class RoutingRuleOut(ToolOutput):
    id: int
    name: str
    position: int
    is_active: bool
    match_priority: str
    match_tier: str
    match_tag: str
    match_keyword: str
    agents: list[str]


class AgentLoadOut(ToolOutput):
    agent: str
    open_tickets: int


class RoutingDecisionOut(ToolOutput):
    ticket_id: int
    account_id: int
    priority: str
    rule: str | None = Field(description="The first matching rule; null: no rule matched.")
    agent: str | None
    agent_load_before: int | None = Field(description="The agent's open tickets before this one.")


class RouteTicketsOutput(ToolOutput):
    as_of: AsOf
    action: str
    rules: list[RoutingRuleOut]
    load: list[AgentLoadOut]
    decisions: list[RoutingDecisionOut]
    unrouted: int = Field(description="Tickets no rule matched.")
    assigned: int = Field(description="route: tickets whose assignee changed.")
    changed: list[str]


# --- knowledge base ----------------------------------------------------------------------


class ArticleOut(ToolOutput):
    id: int
    slug: str
    title: str
    status: str
    tags: list[str]
    version: int
    helpful_votes: int
    unhelpful_votes: int
    helpful_pct: float | None
    updated_at: datetime
    rank: float | None = Field(default=None, description="search: relevance, higher first.")
    body: str | None = Field(default=None, description="get/create/update only.")


class ArticleVersionOut(ToolOutput):
    version: int
    title: str
    author: str | None
    created_at: datetime


class ManageKnowledgeBaseInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"action": "search", "query": "sso login"}]}
    )

    action: Literal["search", "get", "list", "vote"] = Field(
        description="search: ranked full-text; get: article + versions; list: by status; "
        "vote: a reader's helpful/unhelpful (one per voter, re-voting changes it)."
    )
    query: str | None = Field(default=None, min_length=1, max_length=200, description="search.")
    article_id: int | None = Field(default=None, ge=1, description="get/vote.")
    status: Literal["draft", "published", "archived"] | None = Field(
        default=None, description="list/search filter (search default: published)."
    )
    voter: str | None = Field(default=None, min_length=1, max_length=120, description="vote.")
    helpful: bool | None = Field(default=None, description="vote.")
    limit: int = Field(default=10, ge=1, le=100, description="search/list: max articles.")


class ManageKnowledgeBaseOutput(ToolOutput):
    as_of: AsOf
    action: str
    articles: list[ArticleOut]
    versions: list[ArticleVersionOut]


class UpdateKnowledgeBaseInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "slug": "reset-sso",
                    "title": "Resetting SSO",
                    "body": "Open Settings → Security and choose Reset SSO.",
                }
            ]
        }
    )

    action: Literal["create", "update", "delete"] = Field(
        description="A new title or body is a new version; status publishes/archives."
    )
    article_id: int | None = Field(default=None, ge=1, description="update/delete.")
    slug: str | None = Field(
        default=None, min_length=1, max_length=120, pattern=r"^[-a-z0-9]+$", description="Unique."
    )
    title: str | None = Field(default=None, min_length=1, max_length=200, description="Title.")
    body: str | None = Field(default=None, min_length=1, max_length=50_000, description="Text.")
    status: Literal["draft", "published", "archived"] | None = Field(
        default=None, description="Search shows published only."
    )
    tags: list[Word] | None = Field(default=None, max_length=20, description="Full tag list.")
    idempotency_key: IdempotencyKey


class UpdateKnowledgeBaseOutput(ToolOutput):
    as_of: AsOf
    action: str
    article: ArticleOut | None = Field(description="Null after delete.")
    changed: list[str]


# --- portal ------------------------------------------------------------------------------


class ManageCustomerPortalInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"action": "update", "account_id": 42, "enabled": True}]}
    )

    action: Literal["get", "update"] = Field(description="update: change the given settings.")
    account_id: AccountId
    enabled: bool | None = Field(default=None, description="Portal on/off.")
    subdomain: str | None = Field(
        default=None, max_length=63, pattern=r"^([a-z0-9][-a-z0-9]*)?$", description="'' clears."
    )
    allowed_email_domains: list[Word] | None = Field(
        default=None, max_length=20, description="Who may sign in; [] = any."
    )
    sso_required: bool | None = Field(default=None, description="Sign-in through SSO only.")
    show_ticket_history: bool | None = Field(default=None, description="Portal setting.")
    allow_ticket_creation: bool | None = Field(default=None, description="Portal setting.")
    show_knowledge_base: bool | None = Field(default=None, description="Portal setting.")
    welcome_message: str | None = Field(default=None, max_length=500, description="Shown first.")


class PortalOut(ToolOutput):
    configured: bool = Field(description="False: no settings stored yet (defaults shown).")
    enabled: bool
    subdomain: str | None
    allowed_email_domains: list[str]
    sso_required: bool
    show_ticket_history: bool
    allow_ticket_creation: bool
    show_knowledge_base: bool
    welcome_message: str
    updated_at: datetime | None


class ManageCustomerPortalOutput(ToolOutput):
    as_of: AsOf
    action: str
    account_id: int
    portal: PortalOut
    changed: list[str]


# --- performance -------------------------------------------------------------------------


class AnalyzeSupportPerformanceInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"weeks": 12}]})

    account_id: AccountId | None = Field(default=None, description="Default: your whole book.")
    weeks: int = Field(default=12, ge=1, le=104, description="Window, whole weeks to today.")


class SlaPriorityOut(ToolOutput):
    priority: str
    first_response_target_minutes: int
    resolution_target_minutes: int
    policy_source: str = Field(description="policy (stored) or default.")
    tickets: int
    first_response_met_pct: float | None = Field(description="Of answered or overdue tickets.")
    resolution_met_pct: float | None = Field(description="Of resolved or overdue tickets.")


class Percentiles(ToolOutput):
    n: int
    p50: float | None
    p90: float | None


class CsatOut(ToolOutput):
    responses: int
    average: float | None = Field(description="1–5.")
    satisfied_pct: float | None = Field(description="Ratings 4–5.")


class BacklogOut(ToolOutput):
    open: int
    age_days_p50: float | None
    age_days_max: float | None
    older_than_7_days: int


class WeekOut(ToolOutput):
    week_start: date
    opened: int
    resolved: int


class AnalyzeSupportPerformanceOutput(ToolOutput):
    as_of: AsOf
    account_id: int | None
    window_start: datetime
    tickets: int = Field(description="Opened in the window.")
    sla_by_priority: list[SlaPriorityOut]
    first_response_minutes: Percentiles
    resolution_hours: Percentiles
    csat: CsatOut
    backlog: BacklogOut = Field(description="Every ticket open now.")
    weekly: list[WeekOut]
