"""Retention policies enforced: rows of a data category older than the policy's
`retain_days` are deleted or anonymised (their registered personal fields emptied).

A policy names a category of `RETENTION_CATEGORIES` (model and the date that ages it);
a policy naming another category is reported as unknown and changes nothing. A dry run
counts what would change and writes nothing. A real run stamps each policy's
`last_applied_at` and records one audit event with the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import models, transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.personal_data import Rule, personal_model
from gdpr.models import RetentionAction, RetentionPolicy


@dataclass(frozen=True)
class Category:
    model: str
    aged_by: str  # the date field that decides a row's age


RETENTION_CATEGORIES: dict[str, Category] = {
    "webhook_events": Category("integrations.WebhookEvent", "received_at"),
    "email_messages": Category("integrations.EmailMessage", "created_at"),
    "email_events": Category("integrations.EmailEvent", "occurred_at"),
    "sync_runs": Category("integrations.SyncRun", "started_at"),
    "support_tickets": Category("integrations.SupportTicket", "opened_at"),
    "survey_responses": Category("health.SurveyResponse", "responded_at"),
    "feedback": Category("health.Feedback", "created_at"),
    "activities": Category("customers.Activity", "occurred_at"),
    "tool_answers": Category("core.IdempotencyRecord", "created_at"),
    "admin_log": Category("admin.LogEntry", "action_time"),
}


def _emptied(model: type[models.Model]) -> dict[str, Any]:
    """The registered personal fields of `model`, emptied (what anonymising a row means
    when no subject is named: nothing to search for, so every personal value goes)."""
    entry = personal_model(model)
    values: dict[str, Any] = {}
    for name in entry.fields_with(Rule.ANONYMISE, Rule.BLANK, Rule.REDACT) if entry else ():
        f = model._meta.get_field(name)
        if isinstance(f, models.JSONField):
            values[f.attname] = f.default() if callable(f.default) else {}  # list stays a list
        else:
            values[f.attname] = None if f.null else ""
    return values


def retention_apply(*, dry_run: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Apply every enabled policy; returns {category: {action, cutoff, rows}} plus the
    unknown categories."""
    now = now or clock.now()
    report: dict[str, Any] = {"dry_run": dry_run, "policies": {}, "unknown_categories": []}
    with transaction.atomic():
        for policy in RetentionPolicy.objects.filter(enabled=True).order_by("data_category"):
            category = RETENTION_CATEGORIES.get(policy.data_category)
            if category is None:
                report["unknown_categories"].append(policy.data_category)
                continue
            model = apps.get_model(category.model)
            cutoff = now - timedelta(days=policy.retain_days)
            aged = model.objects.filter(**{f"{category.aged_by}__lt": cutoff})
            emptied = _emptied(model)
            if policy.action == RetentionAction.ANONYMISE:
                if not emptied:
                    report["policies"][policy.data_category] = {"error": "nothing to anonymise"}
                    continue
                # Rows already emptied are not counted again.
                aged = aged.exclude(**dict(emptied.items()))
            rows = aged.count()
            report["policies"][policy.data_category] = {
                "action": policy.action, "cutoff": cutoff.isoformat(), "rows": rows,
            }  # fmt: skip
            if dry_run or not rows:
                continue
            if policy.action == RetentionAction.DELETE:
                aged.delete()
            else:
                aged.update(**emptied)
            RetentionPolicy.objects.filter(pk=policy.pk).update(last_applied_at=now)
        if not dry_run:
            audit_record(
                None, "retention.apply", object_type="gdpr.retentionpolicy",
                changes=report, system="retention",
            )  # fmt: skip
    return report
