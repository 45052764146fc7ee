"""Contracts of automate_newsletters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, ToolInput, ToolOutput

NEWSLETTER_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class AutomateNewslettersInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create_edition",
                    "newsletter": "product-updates",
                    "subject": "What's new in March",
                    "body": "Hi {{first_name}}, three things shipped this month ...",
                }
            ]
        }
    )

    action: Literal["list", "get", "subscribe", "unsubscribe", "create_edition", "send"] = Field(
        description="create_edition/send: managers."
    )
    newsletter: str | None = Field(
        default=None, min_length=2, max_length=60, pattern=NEWSLETTER_SLUG,
        description="Newsletter key (slug).",
    )  # fmt: skip
    contact_id: int | None = Field(default=None, ge=1, description="subscribe/unsubscribe.")
    edition_id: int | None = Field(default=None, ge=1, description="get/send.")
    subject: str | None = Field(default=None, min_length=1, max_length=300, description="Template.")
    body: str | None = Field(default=None, min_length=1, max_length=50000, description="Template.")


class NewsletterRow(ToolOutput):
    newsletter: str
    subscribed: int = Field(description="Active subscribers in your book.")
    unsubscribed: int


class EditionRow(ToolOutput):
    id: int
    newsletter: str
    subject: str
    status: str
    sent_at: datetime | None
    queued: int
    skipped: int


class AutomateNewslettersOutput(ToolOutput):
    as_of: AsOf
    action: str
    newsletters: list[NewsletterRow] | None
    editions: list[EditionRow] | None
    edition: EditionRow | None
    subscription: dict[str, Any] | None
    send: dict[str, Any] | None = Field(
        description="send: queued, already_delivered, skipped by reason (sent after commit)."
    )
