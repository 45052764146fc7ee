"""conduct_executive_review: EBRs with attendees, agenda, objectives, outcome, follow-ups."""

from __future__ import annotations

from typing import Any

from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.models import ExecutiveReview
from customers.selectors.scope import account_get_for_actor, account_list_for_actor
from customers.services.reviews import (
    review_cancel,
    review_get_for_actor,
    review_record,
    review_schedule,
)
from customers.tools.reviews_contracts import (
    ConductExecutiveReviewInput,
    ConductExecutiveReviewOutput,
)

NEEDS = {
    "schedule": ("account_id", "title", "scheduled_for"),
    "record": ("review_id", "outcome"),
    "cancel": ("review_id",),
    "get": ("review_id",),
}


def _row(r: ExecutiveReview) -> dict[str, Any]:
    cta = r.follow_up_cta
    return {
        "id": r.pk,
        "account_id": r.account_id,
        "account_name": r.account.name,
        "title": r.title,
        "scheduled_for": r.scheduled_for,
        "status": r.status,
        "attendees": [
            {
                "contact_id": c.pk,
                "name": f"{c.first_name} {c.last_name}".strip() or c.email,
                "role": c.role,
            }
            for c in r.attendees.all()
        ],
        "staff_attendees": [u.get_username() for u in r.staff_attendees.all()],
        "agenda": r.agenda,
        "objectives": [
            {"text": text, "met": i in r.objectives_met} for i, text in enumerate(r.objectives)
        ],
        "outcome": r.outcome,
        "held_at": r.held_at,
        "activity_id": r.activity_id,
        "follow_up_cta_id": r.follow_up_cta_id,
        "follow_ups": [
            i for i in (cta.details.get("items", []) if cta else []) if i.get("review_id") == r.pk
        ],
        "follow_up_due": cta.due_date if cta else None,
    }


def _fetch(qs: Any) -> Any:
    return qs.select_related("account", "follow_up_cta").prefetch_related(
        "attendees", "staff_attendees"
    )


@tool(permission="write", read_only=False, idempotent=False, read_actions=("list", "get"))
def conduct_executive_review(
    ctx: ToolContext, params: ConductExecutiveReviewInput
) -> ConductExecutiveReviewOutput:
    """Executive business reviews for accounts in your book. `schedule` with the
    account's contacts and staff attending, agenda and objectives; `record` once held:
    outcome, objectives met (indexes), follow-ups — writes the EBR on the account timeline
    and adds the follow-ups to the account's EBR follow-up CTA. `cancel`, `list`, `get`."""
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "action": params.action,
        "review": None,
        "reviews": None,
    }
    for name in NEEDS.get(params.action, ()):
        if getattr(params, name) is None:
            raise field_error(name, f"is required to {params.action}", code="required")
    if params.action == "list":
        qs = ExecutiveReview.objects.filter(account__in=account_list_for_actor(ctx.actor))
        if params.account_id is not None:
            account_get_for_actor(ctx.actor, params.account_id)
            qs = qs.filter(account_id=params.account_id)
        out["reviews"] = [_row(r) for r in _fetch(qs.order_by("-scheduled_for", "-pk"))[:50]]
        return ConductExecutiveReviewOutput(**out)
    if params.action == "schedule":
        account = account_get_for_actor(ctx.actor, params.account_id)
        review = review_schedule(
            actor=ctx.actor,
            account=account,
            title=params.title,
            scheduled_for=params.scheduled_for,
            contact_ids=params.attendee_contact_ids,
            staff_ids=params.staff_attendee_ids,
            agenda=params.agenda,
            objectives=params.objectives,
        )
    else:
        review = review_get_for_actor(
            ctx.actor, params.review_id, for_update=params.action in ("record", "cancel")
        )
    if params.action == "record":
        review_record(
            actor=ctx.actor,
            review=review,
            outcome=params.outcome,
            objectives_met=params.objectives_met,
            follow_ups=[f.model_dump() for f in params.follow_ups],
            now=ctx.now,
        )
    elif params.action == "cancel":
        review_cancel(actor=ctx.actor, review=review)
    if params.action != "get":
        ctx.audit(review, changes={"action": params.action}, account_id=review.account_id)
    out["review"] = _row(_fetch(ExecutiveReview.objects.filter(pk=review.pk)).get())
    return ConductExecutiveReviewOutput(**out)
