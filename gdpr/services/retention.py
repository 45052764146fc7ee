"""Retention policies enforced, dry run first: rows of a data category older than the
policy's `retain_days` are deleted or anonymised (their registered personal fields
emptied), but only as a recorded report (`gdpr.RetentionRun`) announced them.

The daily task plans a report (what every enabled policy would change, counted, with
its cutoff) and applies a planned report once it is older than the grace period
(`settings.GDPR_RETENTION_GRACE_DAYS`), then plans the next. A manager may apply a
planned report earlier (`gdpr_retention --confirm N`). Applying uses the report's own
cutoffs, so it never reaches rows the report did not count as too old; a category whose
policy changed since (disabled, another action or number of days) is skipped. A policy
naming a category outside `RETENTION_CATEGORIES` is reported as unknown and changes
nothing. Planning and applying each record an audit event with the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from cs_platform.core.personal_data import Rule, personal_model
from gdpr.models import RetentionAction, RetentionPolicy, RetentionRun, RetentionRunStatus


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


def _aged(category: Category, action: str, cutoff: datetime) -> models.QuerySet | None:
    """The rows a policy acts on at `cutoff` (None: nothing to anonymise in the model)."""
    model = apps.get_model(category.model)
    aged = model.objects.filter(**{f"{category.aged_by}__lt": cutoff})
    if action == RetentionAction.ANONYMISE:
        emptied = _emptied(model)
        if not emptied:
            return None
        aged = aged.exclude(**emptied)  # rows already emptied are not counted again
    return aged


def retention_report(*, now: datetime | None = None) -> dict[str, Any]:
    """What the enabled policies would change now: {category: {action, retain_days,
    cutoff, rows}} plus the unknown categories. Writes nothing (the dry run)."""
    now = now or clock.now()
    report: dict[str, Any] = {"policies": {}, "unknown_categories": []}
    for policy in RetentionPolicy.objects.filter(enabled=True).order_by("data_category"):
        category = RETENTION_CATEGORIES.get(policy.data_category)
        if category is None:
            report["unknown_categories"].append(policy.data_category)
            continue
        cutoff = now - timedelta(days=policy.retain_days)
        aged = _aged(category, policy.action, cutoff)
        if aged is None:
            report["policies"][policy.data_category] = {"error": "nothing to anonymise"}
            continue
        report["policies"][policy.data_category] = {
            "action": policy.action, "retain_days": policy.retain_days,
            "cutoff": cutoff.isoformat(), "rows": aged.count(),
        }  # fmt: skip
    return report


def retention_plan(*, actor: Actor | None = None, now: datetime | None = None) -> RetentionRun:
    """Record a report to apply after the grace period; refused while one is pending."""
    now = now or clock.now()
    with transaction.atomic():
        pending = RetentionRun.objects.filter(status=RetentionRunStatus.PLANNED).first()
        if pending is not None:
            raise Conflict(f"retention report {pending.pk} is pending: apply it first")
        run = RetentionRun.objects.create(
            planned_at=now,
            apply_after=now + timedelta(days=settings.GDPR_RETENTION_GRACE_DAYS),
            report=retention_report(now=now),
        )
        audit_record(
            actor, "retention.plan", run,
            changes={"report": run.report, "apply_after": run.apply_after.isoformat()},
            system="retention",
        )  # fmt: skip
    return run


def retention_run_apply(
    *, run_id: int, actor: Actor | None = None, now: datetime | None = None
) -> RetentionRun:
    """Apply planned report `run_id`: by the daily task once its grace period is over, or
    earlier by a person (the actor) who confirms it."""
    now = now or clock.now()
    with transaction.atomic():
        run = RetentionRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise field_error("report", f"no retention report {run_id}", code="not_found")
        if run.status != RetentionRunStatus.PLANNED:
            raise Conflict(f"retention report {run.pk} is already {run.status}")
        if actor is None and now < run.apply_after:
            raise Conflict(f"retention report {run.pk} is in its grace period")
        policies = {p.data_category: p for p in RetentionPolicy.objects.all()}
        applied: dict[str, Any] = {}
        for name, planned in sorted(run.report.get("policies", {}).items()):
            applied[name] = _apply_one(name, planned, policies.get(name), now=now)
        run.status, run.applied_at, run.applied = RetentionRunStatus.APPLIED, now, applied
        run.confirmed_by = actor.user if actor is not None else None
        run.save(update_fields=["status", "applied_at", "applied", "confirmed_by"])
        audit_record(
            actor, "retention.apply", run,
            changes={"applied": applied, "early": now < run.apply_after},
            system="retention",
        )  # fmt: skip
    return run


def _apply_one(
    name: str, planned: dict[str, Any], policy: RetentionPolicy | None, *, now: datetime
) -> dict[str, Any]:
    if "rows" not in planned:
        return {"skipped": planned.get("error", "not planned")}
    same = (
        policy is not None
        and policy.enabled
        and policy.action == planned["action"]
        and policy.retain_days == planned["retain_days"]
    )
    if not same:
        return {"skipped": "the policy changed since the report"}
    aged = _aged(
        RETENTION_CATEGORIES[name], policy.action, datetime.fromisoformat(planned["cutoff"])
    )
    if aged is None:
        return {"skipped": "nothing to anonymise"}
    if policy.action == RetentionAction.DELETE:
        rows = aged.count()
        aged.delete()
    else:
        rows = aged.update(**_emptied(aged.model))
    RetentionPolicy.objects.filter(pk=policy.pk).update(last_applied_at=now)
    return {"action": policy.action, "rows": rows}


def retention_cycle(*, now: datetime | None = None) -> dict[str, Any]:
    """The daily task: apply the pending report once its grace period is over, then plan
    the next one; while it waits, do nothing."""
    now = now or clock.now()
    pending = RetentionRun.objects.filter(status=RetentionRunStatus.PLANNED).first()
    if pending is not None and now < pending.apply_after:
        return {"waiting": pending.pk, "apply_after": pending.apply_after.isoformat()}
    out: dict[str, Any] = {}
    if pending is not None:
        out["applied"] = retention_run_apply(run_id=pending.pk, now=now).pk
    out["planned"] = retention_plan(now=now).pk
    return out
