"""Executive business reviews: scheduled with attendees, agenda and objectives; recorded
once held with the outcome and the objectives met, which writes the EBR activity on the
account's timeline and opens (or extends) the account's EBR follow-up CTA."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.contracts.vocabulary import Priority
from cs_platform.core.errors import Conflict, NotFound, field_error
from customers.models import (
    CTA,
    OPEN_CTA,
    Account,
    Activity,
    ActivityKind,
    Contact,
    CtaReason,
    ExecutiveReview,
    ReviewStatus,
)
from customers.selectors.scope import account_list_for_actor
from customers.services.ctas import cta_raise


def review_get_for_actor(
    actor: Actor, review_id: int, *, for_update: bool = False
) -> ExecutiveReview:
    qs = ExecutiveReview.objects.select_related("account", "follow_up_cta").filter(
        account__in=account_list_for_actor(actor)
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    review = qs.filter(pk=review_id).first()
    if review is None:
        raise NotFound(
            f"executive review {review_id} not found in your book of business",
            details={"field": "review_id"},
        )
    return review


def _attendees(account: Account, contact_ids: list[int], staff_ids: list[int]) -> tuple[list, list]:
    contacts = list(
        Contact.objects.filter(account=account, pk__in=contact_ids, erased_at__isnull=True)
    )
    missing = sorted(set(contact_ids) - {c.pk for c in contacts})
    if missing:
        raise field_error("attendee_contact_ids", f"not contacts of this account: {missing}")
    users = list(get_user_model().objects.filter(pk__in=staff_ids, is_active=True))
    missing = sorted(set(staff_ids) - {u.pk for u in users})
    if missing:
        raise field_error("staff_attendee_ids", f"no active staff user with ids {missing}")
    return contacts, users


def review_schedule(
    *,
    actor: Actor,
    account: Account,
    title: str,
    scheduled_for: datetime,
    contact_ids: list[int],
    staff_ids: list[int],
    agenda: list[str],
    objectives: list[str],
) -> ExecutiveReview:
    contacts, users = _attendees(account, contact_ids, staff_ids)
    review = ExecutiveReview.objects.create(
        account=account,
        title=title,
        scheduled_for=scheduled_for,
        agenda=agenda,
        objectives=objectives,
        created_by=actor.user,
    )
    review.attendees.set(contacts)
    review.staff_attendees.set(users)
    audit_record(
        actor,
        "review.scheduled",
        review,
        account_id=account.pk,
        changes={"attendees": len(contacts), "staff": len(users), "objectives": len(objectives)},
    )
    return review


def _open(review: ExecutiveReview) -> None:
    if review.status != ReviewStatus.SCHEDULED:
        raise Conflict(
            f"review {review.pk} is {review.status}",
            code="review_not_scheduled",
            details={"field": "review_id", "status": review.status},
        )


def review_cancel(*, actor: Actor, review: ExecutiveReview) -> None:
    _open(review)
    review.status = ReviewStatus.CANCELLED
    review.save(update_fields=["status"])
    audit_record(actor, "review.cancelled", review, account_id=review.account_id)


def review_record(
    *,
    actor: Actor,
    review: ExecutiveReview,
    outcome: str,
    objectives_met: list[int],
    follow_ups: list[dict[str, Any]],
    now: datetime,
) -> ExecutiveReview:
    """Mark the review held: outcome, objectives met (indexes into its objectives), the
    EBR timeline activity, and the follow-ups on the account's open EBR follow-up CTA."""
    _open(review)
    bad = sorted(i for i in set(objectives_met) if not 0 <= i < len(review.objectives))
    if bad:
        raise field_error(
            "objectives_met", f"no objective at {bad}; the review has {len(review.objectives)}"
        )
    met = sorted(set(objectives_met))
    attendees = [{"contact_id": c} for c in review.attendees.values_list("pk", flat=True)] + [
        {"user_id": u} for u in review.staff_attendees.values_list("pk", flat=True)
    ]
    review.activity = Activity.objects.create(
        account=review.account,
        author=actor.user,
        kind=ActivityKind.EBR,
        occurred_at=now,
        subject=review.title,
        body=outcome,
        attendees=attendees,
        outcomes=[review.objectives[i] for i in met] + [f["title"] for f in follow_ups],
    )
    if follow_ups:
        items = [
            {
                "review_id": review.pk,
                "title": f["title"],
                "due_on": (now + timedelta(days=f["due_in_days"])).date().isoformat(),
            }
            for f in follow_ups
        ]
        current = CTA.objects.filter(
            OPEN_CTA, account=review.account, reason=CtaReason.EBR_FOLLOW_UP
        ).first()
        if current is not None:
            items = list(current.details.get("items", [])) + items
        raised = cta_raise(
            account=review.account,
            reason=CtaReason.EBR_FOLLOW_UP,
            title=f"EBR follow-up: {len(items)} action{'s' * (len(items) != 1)}",
            priority=Priority.HIGH,
            source="executive_review",
            details={"items": items},
            due_date=min(date.fromisoformat(i["due_on"]) for i in items),
            actor=actor,
        )
        review.follow_up_cta = raised.cta
    review.status, review.held_at = ReviewStatus.HELD, now
    review.outcome, review.objectives_met = outcome, met
    review.save(
        update_fields=[
            "status",
            "held_at",
            "outcome",
            "objectives_met",
            "activity",
            "follow_up_cta",
        ]
    )
    audit_record(
        actor,
        "review.held",
        review,
        account_id=review.account_id,
        changes={
            "objectives_met": len(met),
            "of": len(review.objectives),
            "follow_ups": len(follow_ups),
        },
    )
    return review
