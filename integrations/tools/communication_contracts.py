"""Contracts of the communication tools (pydantic, flat, documented)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, IdempotencyKey, ToolInput, ToolOutput
from integrations.services.email_render import EMAIL_VARIABLES

_VARIABLES = ", ".join(f"{{{{{name}}}}}" for name in EMAIL_VARIABLES)


class SendPersonalizedEmailInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contact_id": 318,
                    "subject": "{{account_name}} renewal: time for a review?",
                    "body": "Hi {{first_name}},\n"
                    "\n"
                    "Your renewal is coming up. Could we find 30 minutes next week to review how "
                    "the team uses the product?\n"
                    "\n"
                    "Best,\n"
                    "{{csm_name}}",
                    "category": "service",
                    "idempotency_key": "renewal-review-318",
                }
            ]
        }
    )

    contact_id: int = Field(
        ge=1, description="Id of a stored contact of an account in your book (the recipient)."
    )
    subject: str = Field(
        min_length=1,
        max_length=300,
        description=f"Subject template; placeholders: {_VARIABLES}.",
    )
    body: str = Field(
        min_length=1,
        max_length=50_000,
        description="Plain-text body template, same placeholders as `subject`. Every "
        "placeholder must resolve from the records or the call fails naming it.",
    )
    category: Literal["service", "marketing"] = Field(
        default="service",
        description="`marketing` also requires the contact's recorded marketing consent.",
    )
    connection_id: int | None = Field(
        default=None,
        ge=1,
        description="SendGrid connection to send through; needed only when several exist.",
    )
    idempotency_key: IdempotencyKey


class SendPersonalizedEmailOutput(ToolOutput):
    as_of: AsOf
    status: Literal["pending"] = Field(
        description="Stored and queued: SendGrid is called after this answer. The message "
        "then becomes sent, failed (with the error) or unconfirmed; see it on the account "
        "timeline (kind `email`)."
    )
    message_id: int = Field(description="Stored EmailMessage id.")
    delivery_id: int = Field(description="The queued SendGrid call (outbox row).")
    account_id: int
    contact_id: int
    to_email: str
    subject: str = Field(description="The subject as rendered.")
    body: str = Field(description="The body as rendered.")
