"""conduct_executive_review: scheduled, recorded with outcome and objectives, the EBR on
the timeline and follow-ups on one open CTA per account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.errors import Conflict, InvalidInput, NotFound
from customers.models import CTA, Activity, ExecutiveReview
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def ebr(user, action, **payload):
    return call_tool(user, "conduct_executive_review", {"action": action, **payload})


def schedule(staff, books, **extra):
    payload = {
        "account_id": books["acme"].pk,
        "title": "H1 executive review",
        "scheduled_for": (clock.now() + timedelta(days=3)).isoformat(),
        "attendee_contact_ids": [books["ada"].pk],
        "staff_attendee_ids": [staff["csm1"].pk],
        "agenda": ["Usage review", "Roadmap"],
        "objectives": ["Agree the EU rollout", "Confirm renewal intent", "Name a new champion"],
    }
    return ebr(staff["csm1"], "schedule", **{**payload, **extra})["review"]


@pytest.mark.date_sensitive
def test_schedule_record_timeline_and_follow_up_cta(staff, two_books):
    review = schedule(staff, two_books)
    assert review["status"] == "scheduled"
    assert [a["contact_id"] for a in review["attendees"]] == [two_books["ada"].pk]
    assert review["staff_attendees"] == ["csm1"]

    held = ebr(
        staff["csm1"],
        "record",
        review_id=review["id"],
        outcome="Sponsor agreed the EU rollout; renewal intent confirmed.",
        objectives_met=[0, 1],
        follow_ups=[
            {"title": "Send the EU rollout plan", "due_in_days": 7},
            {"title": "Meet the new champion candidate", "due_in_days": 21},
        ],
    )["review"]
    assert held["status"] == "held" and held["held_at"]
    assert [o["met"] for o in held["objectives"]] == [True, True, False]
    activity = Activity.objects.get(pk=held["activity_id"])
    assert (activity.kind, activity.subject, activity.account_id) == (
        "ebr",
        "H1 executive review",
        two_books["acme"].pk,
    )
    assert activity.outcomes == [
        "Agree the EU rollout",
        "Confirm renewal intent",
        "Send the EU rollout plan",
        "Meet the new champion candidate",
    ]
    cta = CTA.objects.get(reason="ebr_follow_up")
    assert (cta.title, cta.priority, cta.owner) == (
        "EBR follow-up: 2 actions",
        "high",
        staff["csm1"],
    )
    assert cta.due_date == clock.today() + timedelta(days=7)
    assert held["follow_up_cta_id"] == cta.pk and len(held["follow_ups"]) == 2

    second = schedule(staff, two_books, objectives=["Review adoption"])
    ebr(
        staff["csm1"],
        "record",
        review_id=second["id"],
        outcome="Adoption reviewed.",
        follow_ups=[{"title": "Share the adoption report", "due_in_days": 3}],
    )
    cta = CTA.objects.get(reason="ebr_follow_up")
    assert cta.title == "EBR follow-up: 3 actions"
    assert len(cta.details["items"]) == 3
    listed = ebr(staff["csm1"], "list", account_id=two_books["acme"].pk)["reviews"]
    assert [r["status"] for r in listed] == ["held", "held"]
    with pytest.raises(Conflict):
        ebr(staff["csm1"], "record", review_id=review["id"], outcome="Again?")


def test_bad_input_and_scope_write_nothing(staff, two_books):
    with pytest.raises(InvalidInput) as err:
        schedule(staff, {**two_books, "ada": two_books["bob"]})
    assert err.value.details["errors"][0]["field"] == "attendee_contact_ids"
    assert not ExecutiveReview.objects.exists()
    review = schedule(staff, two_books)
    with pytest.raises(InvalidInput) as err:
        ebr(staff["csm1"], "record", review_id=review["id"], outcome="Done.", objectives_met=[5])
    assert err.value.details["errors"][0]["field"] == "objectives_met"
    with pytest.raises(InvalidInput) as err:
        ebr(staff["csm1"], "record", review_id=review["id"])
    assert err.value.details["errors"][0]["field"] == "outcome"
    with pytest.raises(NotFound):
        ebr(staff["csm2"], "get", review_id=review["id"])
    assert ExecutiveReview.objects.get().status == "scheduled"
    assert not Activity.objects.exists() and not CTA.objects.exists()
    cancelled = ebr(staff["csm1"], "cancel", review_id=review["id"])["review"]
    assert cancelled["status"] == "cancelled"
