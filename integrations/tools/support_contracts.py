"""Contracts of the support tools (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import (
    AsOf,
    Cursor,
    IdempotencyKey,
    Limit,
    PageInfo,
    ToolInput,
    ToolOutput,
)
from cs_platform.core.tickets import TicketPriority, TicketStatus

TicketAction = Literal["create", "update", "get", "list", "retry_mirror"]
TicketStatusName = Literal[tuple(TicketStatus.values)]  # type: ignore[valid-type]
TicketPriorityName = Literal[tuple(TicketPriority.values)]  # type: ignore[valid-type]
Tag = Annotated[str, Field(min_length=1, max_length=80)]


class HandleSupportTicketInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "account_id": 42,
                    "subject": "SSO login fails for newly invited users",
                    "description": "Users invited since Monday get an SSO error on first sign-in.",
                    "priority": "high",
                    "idempotency_key": "sso-login-first-signin",
                }
            ]
        }
    )

    action: TicketAction = Field(
        description="create: open a ticket (account_id, subject); update: change a ticket "
        "(ticket_id + fields and/or comment); get: one ticket; list: page through tickets; "
        "retry_mirror: send a ticket whose Zendesk mirror failed again."
    )
    ticket_id: int | None = Field(
        default=None, ge=1, description="Ticket id; required by update, get, retry_mirror."
    )
    account_id: int | None = Field(
        default=None, ge=1, description="Account of the new ticket (create) or filter (list)."
    )
    subject: str | None = Field(
        default=None, max_length=300, description="Subject (create: required; update: new one)."
    )
    description: str | None = Field(
        default=None, max_length=20_000, description="The customer's problem (create only)."
    )
    priority: TicketPriorityName | None = Field(
        default=None,
        description="create/update: priority (sets the SLA targets; default normal); "
        "list: only this priority.",
    )
    status: TicketStatusName | None = Field(
        default=None,
        description="update: new status (transitions are validated; closed is final); "
        "list: only this status.",
    )
    contact_id: int | None = Field(
        default=None,
        ge=1,
        description="create: the requesting contact of the account (default: its primary).",
    )
    assignee: str | None = Field(
        default=None, max_length=120, description="create/update: assignee name or id."
    )
    tags: list[Tag] | None = Field(
        default=None, max_length=30, description="create/update: the full list of tags."
    )
    comment: str | None = Field(
        default=None,
        max_length=20_000,
        description="update: an agent comment; a public one is the first response.",
    )
    comment_public: bool = Field(
        default=True, description="update: whether `comment` is visible to the customer."
    )
    breached_only: bool = Field(
        default=False, description="list: only tickets whose SLA is breached now."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="list: page size, 1–200.")
    idempotency_key: IdempotencyKey


class SlaOut(ToolOutput):
    first_response_target_minutes: int | None
    first_response_due_at: datetime | None
    first_response_breached: bool
    resolution_target_minutes: int | None
    resolution_due_at: datetime | None
    resolution_breached: bool
    breached: bool = Field(description="Either target missed, as of `as_of`.")


class MirrorOut(ToolOutput):
    provider: str | None = Field(description="zendesk when mirrored; null for local-only.")
    external_id: str | None = Field(description="The provider's ticket id.")
    status: str = Field(
        description="pending (queued or retrying), synced, failed, or empty when not mirrored."
    )
    error: str | None = Field(
        description="The last attempt's error (pending: will be retried; failed: final)."
    )


class TicketOut(ToolOutput):
    id: int
    account_id: int
    contact_id: int | None
    subject: str
    description: str
    status: str
    priority: str
    channel: str
    assignee: str
    tags: list[str]
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    satisfaction: int | None = Field(description="1–5 when the customer rated the ticket.")
    sla: SlaOut
    mirror: MirrorOut
    updated_at: datetime


class MirrorDelivery(ToolOutput):
    delivery_id: int = Field(description="The queued Zendesk call (outbox row).")
    status: str = Field(
        description="pending or sending: Zendesk is called after this answer; `get` the "
        "ticket for the outcome in `ticket.mirror`."
    )


class HandleSupportTicketOutput(ToolOutput):
    as_of: AsOf
    action: str
    ticket: TicketOut | None = Field(description="The ticket (all actions but list).")
    changed: list[str] = Field(description="Fields this action changed (create/update).")
    mirror: MirrorDelivery | None = Field(
        description="The Zendesk call a write queued; null when the ticket is not mirrored."
    )
    tickets: list[TicketOut] = Field(description="list: this page of tickets.")
    page: PageInfo | None = Field(description="list: paging information.")
