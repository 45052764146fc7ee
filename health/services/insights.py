"""Product insights: a finding shared with the product team, stored with links to the
feedback behind it (only feedback in the author's book can be linked)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cs_platform.core.actors import Actor
from cs_platform.core.errors import field_error
from cs_platform.core.records import RecordSpec, WriteServices, as_row, record_create, record_update
from cs_platform.core.services import Diff, fields_check
from customers.selectors import account_list_for_actor
from health.models import Feedback, ProductInsight

INSIGHT_FIELDS = ("title", "summary", "product_area", "status", "shared_with")
INSIGHT_RECORD = RecordSpec(
    ProductInsight, "product_insight", author="created_by", personal=frozenset({"summary"})
)


def _feedback_in_scope(actor: Actor | None, ids: list[int]) -> list[int]:
    wanted = sorted(set(ids))
    qs = Feedback.objects.filter(pk__in=wanted)
    if actor is not None and not actor.sees_all_accounts:
        qs = qs.filter(account__in=account_list_for_actor(actor))
    found = sorted(qs.values_list("pk", flat=True))
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise field_error(
            "feedback_ids", f"no feedback in your book with ids {missing}", code="not_found"
        )
    return found


def insight_create(
    *, actor: Actor | None, fields: dict[str, Any], feedback_ids: list[int]
) -> ProductInsight:
    fields_check(fields, INSIGHT_FIELDS)
    if not feedback_ids:
        raise field_error("feedback_ids", "link at least one piece of feedback", code="required")
    with transaction.atomic():
        linked = _feedback_in_scope(actor, feedback_ids)
        return record_create(INSIGHT_RECORD, actor=actor, fields={**fields, "feedback": linked})


def insight_update(
    *,
    actor: Actor | None,
    insight: ProductInsight,
    changes: dict[str, Any],
    add_feedback_ids: list[int] | None = None,
) -> Diff:
    fields_check(changes, INSIGHT_FIELDS)
    with transaction.atomic():
        if add_feedback_ids:
            current = list(insight.feedback.values_list("pk", flat=True))
            changes = {
                **changes,
                "feedback": sorted(set(current) | set(_feedback_in_scope(actor, add_feedback_ids))),
            }
        return record_update(INSIGHT_RECORD, actor=actor, instance=insight, changes=changes)


INSIGHT_WRITES = WriteServices(
    create=lambda *, actor, fields: insight_create(
        actor=actor,
        fields={k: v for k, v in fields.items() if k != "feedback"},
        # the admin's form hands rows, other callers ids
        feedback_ids=[getattr(f, "pk", f) for f in fields.get("feedback") or []],
    ),
    update=as_row("insight", insight_update),
    create_fields=(*INSIGHT_FIELDS, "feedback"),
    update_fields=INSIGHT_FIELDS,
)
