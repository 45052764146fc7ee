"""Writes of the support desk: SLA policy rows, routing rules and applying a routing plan,
knowledge-base votes, and the customer portal's settings. Each is validated and audited
through the record helpers (`cs_platform.core.records`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from cs_platform.core.actors import Actor
from cs_platform.core.errors import PermissionDenied, field_error
from cs_platform.core.models import Role
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    as_row,
    audit_write,
    record_create,
    record_delete,
    record_update,
)
from cs_platform.core.services import Diff, fields_check
from customers.models import Account
from integrations.models import (
    CustomerPortalSettings,
    KnowledgeArticle,
    KnowledgeArticleVote,
    SlaPolicy,
    TicketRoutingRule,
)
from integrations.selectors.support_desk import RoutingDecision
from integrations.services.tickets import TicketChange, ticket_update

SLA_POLICY_RECORD = RecordSpec(SlaPolicy, "sla_policy")
ROUTING_RULE_FIELDS = (
    "name",
    "position",
    "is_active",
    "match_priority",
    "match_tier",
    "match_tag",
    "match_keyword",
    "agents",
)
ROUTING_RULE_RECORD = RecordSpec(TicketRoutingRule, "routing_rule", updatable=ROUTING_RULE_FIELDS)
PORTAL_FIELDS = (
    "enabled",
    "subdomain",
    "allowed_email_domains",
    "sso_required",
    "show_ticket_history",
    "allow_ticket_creation",
    "show_knowledge_base",
    "welcome_message",
)
PORTAL_RECORD = RecordSpec(CustomerPortalSettings, "portal_settings", account="account")


def _agents_check(fields: dict[str, Any]) -> dict[str, Any]:
    if "agents" not in fields:
        return fields
    agents = fields["agents"]
    if not isinstance(agents, list) or not agents:
        raise field_error("agents", "must list at least one agent", code="required")
    cleaned = sorted({str(a).strip() for a in agents if str(a).strip()})
    if len(cleaned) != len(agents) or any(len(a) > 120 for a in cleaned):
        raise field_error("agents", "agent names must be distinct, non-empty, ≤ 120 characters")
    return {**fields, "agents": cleaned}


def _manager_only(actor: Actor | None, what: str = "routing rules") -> None:
    """Routing rules and SLA policies decide every book's queue: CS managers change them,
    CSMs read them."""
    if actor is not None and not (actor.role == Role.MANAGER or actor.user.is_superuser):
        raise PermissionDenied(f"{what} are changed by CS managers", details={"field": "action"})


def routing_rule_create(*, actor: Actor | None, fields: dict[str, Any]) -> TicketRoutingRule:
    _manager_only(actor)
    fields_check(fields, ROUTING_RULE_FIELDS)
    if "agents" not in fields:
        raise field_error("agents", "must list at least one agent", code="required")
    return record_create(ROUTING_RULE_RECORD, actor=actor, fields=_agents_check(fields))


def routing_rule_update(
    *, actor: Actor | None, rule: TicketRoutingRule, changes: dict[str, Any]
) -> Diff:
    _manager_only(actor)
    return record_update(
        ROUTING_RULE_RECORD, actor=actor, instance=rule, changes=_agents_check(changes)
    )


def routing_rule_delete(*, actor: Actor | None, rule: TicketRoutingRule) -> None:
    _manager_only(actor)
    record_delete(ROUTING_RULE_RECORD, actor=actor, instance=rule)


ROUTING_RULE_WRITES = WriteServices(
    create=routing_rule_create,
    update=as_row("rule", routing_rule_update),
    delete=as_row("rule", routing_rule_delete),
    create_fields=ROUTING_RULE_FIELDS,
    update_fields=ROUTING_RULE_FIELDS,
)


def routing_apply(
    *, actor: Actor, decisions: Sequence[RoutingDecision], now: datetime
) -> list[TicketChange]:
    """Assign each routed ticket to its agent (through `ticket_update`, so the change is
    audited and mirrored like any other assignment)."""
    changes = []
    with transaction.atomic():
        for d in decisions:
            if d.agent is None or d.ticket.assignee == d.agent:
                continue
            changes.append(
                ticket_update(actor=actor, ticket=d.ticket, changes={"assignee": d.agent}, now=now)
            )
    return changes


def article_vote(
    *, actor: Actor | None, article: KnowledgeArticle, voter: str, helpful: bool
) -> KnowledgeArticle:
    """Record (or change) `voter`'s verdict and recount the article's counters from the
    vote rows, so the counters can never drift from the votes."""
    voter = voter.strip()
    if not voter:
        raise field_error("voter", "cannot be empty", code="required")
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        vote, created = KnowledgeArticleVote.objects.get_or_create(
            article=locked, voter=voter[:120], defaults={"helpful": helpful}
        )
        if not created and vote.helpful != helpful:
            vote.helpful = helpful
            vote.save(update_fields=["helpful"])
        helpful_n = locked.votes.filter(helpful=True).count()
        unhelpful_n = locked.votes.filter(helpful=False).count()
        KnowledgeArticle.objects.filter(pk=locked.pk).update(
            helpful_votes=helpful_n, unhelpful_votes=unhelpful_n
        )
        locked.helpful_votes, locked.unhelpful_votes = helpful_n, unhelpful_n
        audit_write(
            actor,
            "knowledge_article.voted",
            locked,
            changes={"helpful": helpful, "changed_vote": not created},
        )
    return locked


def portal_settings_update(
    *, actor: Actor | None, account: Account, changes: dict[str, Any]
) -> tuple[CustomerPortalSettings, Diff, bool]:
    """Change an account's portal settings (created with the defaults on first change).
    Returns (settings, diff, created)."""
    fields_check(changes, PORTAL_FIELDS)
    if "allowed_email_domains" in changes:
        domains = changes["allowed_email_domains"] or []
        cleaned = sorted({d.strip().lower().lstrip("@") for d in domains})
        if any("." not in d or " " in d for d in cleaned):
            raise field_error("allowed_email_domains", "each must be a domain like example.com")
        changes = {**changes, "allowed_email_domains": cleaned}
    if changes.get("subdomain") == "":
        changes = {**changes, "subdomain": None}
    with transaction.atomic():
        settings = CustomerPortalSettings.objects.filter(account=account).first()
        if settings is None:
            settings = record_create(
                PORTAL_RECORD, actor=actor, fields={"account": account, **changes}
            )
            return settings, {k: {"before": None, "after": v} for k, v in changes.items()}, True
        diff = record_update(PORTAL_RECORD, actor=actor, instance=settings, changes=changes)
    return settings, diff, False


# --- the admin's write services ---------------------------------------------------------------


def sla_policy_create(*, actor: Actor | None, fields: dict[str, Any]) -> SlaPolicy:
    """A priority's stored SLA target (every book's tickets follow it: managers only)."""
    _manager_only(actor, "SLA policies")
    return record_create(SLA_POLICY_RECORD, actor=actor, fields=fields)


def sla_policy_update(*, actor: Actor | None, policy: SlaPolicy, changes: dict[str, Any]) -> Diff:
    _manager_only(actor, "SLA policies")
    return record_update(SLA_POLICY_RECORD, actor=actor, instance=policy, changes=changes)


def sla_policy_delete(*, actor: Actor | None, policy: SlaPolicy) -> None:
    """Back to the documented defaults for that priority."""
    _manager_only(actor, "SLA policies")
    record_delete(SLA_POLICY_RECORD, actor=actor, instance=policy)


SLA_POLICY_FIELDS = ("priority", "first_response_minutes", "resolution_minutes")
SLA_POLICY_WRITES = WriteServices(
    create=sla_policy_create,
    update=as_row("policy", sla_policy_update),
    delete=as_row("policy", sla_policy_delete),
    create_fields=SLA_POLICY_FIELDS,
    update_fields=("first_response_minutes", "resolution_minutes"),
)


def _portal_create(*, actor: Actor | None, fields: dict[str, Any]) -> CustomerPortalSettings:
    values = dict(fields)
    account = values.pop("account", None) or values.pop("account_id", None)
    if account is None:
        raise field_error("account", "choose the account", code="required")
    if not isinstance(account, Account):
        account = Account.objects.filter(pk=account).first()
        if account is None:
            raise field_error("account", "no such account", code="not_found")
    with transaction.atomic():
        settings, _diff, created = portal_settings_update(
            actor=actor, account=account, changes=values
        )
        if not created:  # undone with the transaction: an add never edits existing settings
            raise field_error("account", "this account's portal has settings; change those")
    return settings


PORTAL_WRITES = WriteServices(
    create=_portal_create,
    update=lambda *, actor, instance, changes: portal_settings_update(
        actor=actor, account=instance.account, changes=changes
    )[1],
    create_fields=("account", *PORTAL_FIELDS),
    update_fields=PORTAL_FIELDS,
)
