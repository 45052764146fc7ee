"""Automated communication rules: when an active account matches a rule's conditions (the
segment rule language), one of its contacts is e-mailed the rule's templates through
SendGrid (after commit, through the outbox), at most once per account and window.

Windows are fixed blocks of `window_days` counted from WINDOW_EPOCH, so "once per window"
does not depend on when the beat task happens to run. A firing row is written for every
account the rule fires for — with the queued e-mail, or with why nobody was e-mailed
(no contact in that role, opted out, no marketing consent, a placeholder with no value);
the unique (rule, account, window) constraint makes a re-run, or two racing workers,
fire once. A missing SendGrid setup stops the evaluation without writing firings, so the
rule fires once the setup is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from audit.services import audit_record
from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import Conflict, DomainError, InvalidInput, NotFound, field_error
from cs_platform.core.services import model_update
from customers.models import Account, AccountStatus, Contact, ContactRole
from health.selectors.segment_rules import segment_accounts_matching, segment_rules_validate
from integrations.models import CommunicationFiring, CommunicationRule, FiringStatus, RuleStatus
from integrations.services.email import (
    EMAIL_CATEGORIES,
    EmailNotConfigured,
    email_reachable_check,
    email_send,
)
from integrations.tasks import outbox_deliver_on_commit

WINDOW_EPOCH = date(2000, 1, 3)  # a Monday: 7-day windows run Monday to Sunday
RECIPIENTS = ("primary", *ContactRole.values)


def window_start(today: date, window_days: int) -> date:
    blocks = (today - WINDOW_EPOCH).days // window_days
    return WINDOW_EPOCH + timedelta(days=blocks * window_days)


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    if "conditions" in fields:
        fields["conditions"] = segment_rules_validate(fields["conditions"], path="")
    if "recipient" in fields and fields["recipient"] not in RECIPIENTS:
        raise field_error("recipient", f"must be one of {', '.join(RECIPIENTS)}")
    if "category" in fields and fields["category"] not in EMAIL_CATEGORIES:
        raise field_error("category", f"must be one of {', '.join(EMAIL_CATEGORIES)}")
    if "window_days" in fields and not 1 <= fields["window_days"] <= 365:
        raise field_error("window_days", "must be between 1 and 365")
    return fields


def communication_rule_create(*, actor: Actor, fields: dict[str, Any]) -> CommunicationRule:
    fields = _check(dict(fields))
    if CommunicationRule.objects.filter(name=fields["name"]).exists():
        raise Conflict("a rule with this name exists", details={"field": "name"})
    rule = CommunicationRule.objects.create(**fields, created_by=actor.user)
    audit_record(actor, "communication_rule.created", rule, changes={"name": rule.name})
    return rule


def communication_rule_update(
    *, actor: Actor, rule: CommunicationRule, changes: dict[str, Any]
) -> dict[str, Any]:
    changes = _check(dict(changes))
    if "status" in changes and changes["status"] not in RuleStatus.values:
        raise field_error("status", f"must be one of {', '.join(RuleStatus.values)}")
    diff = model_update(rule, changes)
    if diff:
        audit_record(actor, "communication_rule.updated", rule, changes={"diff": diff})
    return diff


def communication_rule_get(rule_id: int, *, for_update: bool = False) -> CommunicationRule:
    qs = CommunicationRule.objects.all()
    if for_update:
        qs = qs.select_for_update()
    rule = qs.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"no communication rule {rule_id}", details={"field": "rule_id"})
    return rule


def _recipient(account: Account, recipient: str) -> Contact | None:
    contacts = Contact.objects.filter(account=account, erased_at__isnull=True)
    if recipient == "primary":
        contacts = contacts.filter(is_primary=True)
    else:
        contacts = contacts.filter(role=recipient)
    return contacts.order_by("-is_primary", "pk").first()


@dataclass
class Evaluation:
    matched: int = 0
    already_fired: int = 0
    queued: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    firing_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "already_fired": self.already_fired,
            "queued": self.queued,
            "skipped": self.skipped,
        }


def _fire(
    rule: CommunicationRule, account: Account, start: date, now: datetime, fallback: Actor | None
) -> tuple[CommunicationFiring | None, int | None]:
    """Write this account's firing for the window (None: another run got there first) and
    queue its e-mail; returns the firing and the outbox row to deliver after commit."""
    firing = CommunicationFiring(
        rule=rule, account=account, window_start=start, fired_at=now, status=FiringStatus.SKIPPED
    )
    try:
        with transaction.atomic():
            firing.save()
    except IntegrityError:
        return None, None
    contact = _recipient(account, rule.recipient)
    sender = actor_for_user(account.owner, channel="task") if account.owner else fallback
    delivery_id = None
    try:
        if contact is None:
            raise Conflict("no recipient", code="no_recipient")
        if sender is None:
            raise Conflict("no sender", code="no_sender")
        email_reachable_check(contact, rule.category)
        with transaction.atomic():
            queued = email_send(
                actor=sender,
                contact_id=contact.pk,
                subject=rule.subject,
                body=rule.body,
                category=rule.category,
                now=now,
            )
        firing.status, firing.email_message = FiringStatus.QUEUED, queued.message
        delivery_id = queued.delivery.pk
    except EmailNotConfigured:
        raise
    except InvalidInput:
        firing.skip_reason = "template_unresolved"
    except DomainError as exc:
        firing.skip_reason = exc.code[:40]
    firing.save(update_fields=["status", "skip_reason", "email_message"])
    return firing, delivery_id


def communication_rule_evaluate(
    *, rule: CommunicationRule, now: datetime, actor: Actor | None
) -> dict[str, Any]:
    """Fire the rule for each matching active account that has no firing in the current
    window. The e-mails go out after the caller's transaction commits."""
    start = window_start(now.date(), rule.window_days)
    matching = segment_accounts_matching(
        rule.conditions,
        today=now.date(),
        base=Account.objects.filter(status=AccountStatus.ACTIVE),
    )
    accounts = list(matching.select_related("owner").order_by("pk"))
    done = set(
        CommunicationFiring.objects.filter(rule=rule, window_start=start).values_list(
            "account_id", flat=True
        )
    )
    fallback = actor or (
        actor_for_user(rule.created_by, channel="task") if rule.created_by else None
    )
    result = Evaluation(matched=len(accounts))
    deliveries = []
    with transaction.atomic():
        for account in accounts:
            if account.pk in done:
                result.already_fired += 1
                continue
            firing, delivery_id = _fire(rule, account, start, now, fallback)
            if firing is None:
                result.already_fired += 1
                continue
            result.firing_ids.append(firing.pk)
            if firing.status == FiringStatus.QUEUED:
                result.queued += 1
                deliveries.append(delivery_id)
            else:
                result.skipped[firing.skip_reason] = result.skipped.get(firing.skip_reason, 0) + 1
        rule.last_evaluated_at = now
        rule.save(update_fields=["last_evaluated_at"])
        audit_record(
            actor,
            "communication_rule.evaluated",
            rule,
            changes={"window_start": start, **result.as_dict()},
            system="communications",
        )
    outbox_deliver_on_commit(deliveries)
    return {"window_start": start, **result.as_dict()}


def communication_rules_evaluate_active(*, now: datetime) -> dict[str, Any]:
    """The beat task's body: every active rule; a rule whose stored conditions no longer
    validate is reported, not fatal to the others."""
    done, failed = {}, {}
    for rule in CommunicationRule.objects.filter(status=RuleStatus.ACTIVE).order_by("pk"):
        try:
            done[rule.pk] = communication_rule_evaluate(rule=rule, now=now, actor=None)
        except (InvalidInput, EmailNotConfigured) as exc:
            failed[rule.pk] = exc.code
    return {"evaluated": done, "failed": failed}
