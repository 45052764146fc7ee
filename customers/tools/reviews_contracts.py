"""Contracts of conduct_executive_review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, ToolInput, ToolOutput

Item = Annotated[str, Field(min_length=1, max_length=300)]
ContactId = Annotated[int, Field(ge=1)]
Index = Annotated[int, Field(ge=0, le=19)]


class FollowUp(ToolInput):
    title: str = Field(min_length=3, max_length=200, description="The action.")
    due_in_days: int = Field(default=14, ge=0, le=180, description="Due this many days after.")


class ConductExecutiveReviewInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "record",
                    "review_id": 27,
                    "outcome": "Sponsor confirmed the rollout to two more regions.",
                    "objectives_met": [0],
                    "follow_ups": [{"title": "Send the regional rollout plan", "due_in_days": 7}],
                }
            ]
        }
    )

    action: Literal["list", "get", "schedule", "record", "cancel"] = Field(
        description="schedule, then record once held."
    )
    account_id: int | None = Field(default=None, ge=1, description="schedule; list filter.")
    review_id: int | None = Field(default=None, ge=1, description="get/record/cancel.")
    title: str | None = Field(default=None, min_length=3, max_length=200, description="schedule.")
    scheduled_for: datetime | None = Field(default=None, description="schedule: when.")
    attendee_contact_ids: list[ContactId] = Field(
        default=[], max_length=50, description="schedule: the account's contacts attending."
    )
    staff_attendee_ids: list[ContactId] = Field(
        default=[], max_length=20, description="schedule: staff."
    )
    agenda: list[Item] = Field(default=[], max_length=20, description="schedule: agenda items.")
    objectives: list[Item] = Field(default=[], max_length=20, description="schedule: objectives.")
    outcome: str | None = Field(default=None, min_length=3, max_length=5000, description="record.")
    objectives_met: list[Index] = Field(
        default=[], max_length=20, description="record: indexes of objectives met."
    )
    follow_ups: list[FollowUp] = Field(
        default=[], max_length=20, description="record: actions, added to the follow-up CTA."
    )


class ReviewRow(ToolOutput):
    id: int
    account_id: int
    account_name: str
    title: str
    scheduled_for: datetime
    status: str
    attendees: list[dict[str, Any]]
    staff_attendees: list[str]
    agenda: list[Item]
    objectives: list[dict[str, Any]] = Field(description="text and met.")
    outcome: str
    held_at: datetime | None
    activity_id: int | None = Field(description="The EBR entry on the account timeline.")
    follow_up_cta_id: int | None
    follow_ups: list[dict[str, Any]]
    follow_up_due: date | None


class ConductExecutiveReviewOutput(ToolOutput):
    as_of: AsOf
    action: str
    review: ReviewRow | None
    reviews: list[ReviewRow] | None = Field(description="list: newest first (50).")
