"""Communication tools: personalised e-mail to stored contacts through SendGrid."""

from __future__ import annotations

from cs_platform.core.errors import RecordedFailure
from cs_platform.core.tools import ToolContext, tool
from integrations.services.email import email_send
from integrations.tool_contracts_communication import (
    SendPersonalizedEmailInput,
    SendPersonalizedEmailOutput,
)


@tool(permission="write", read_only=False, idempotent=False)
def send_personalized_email(
    ctx: ToolContext, params: SendPersonalizedEmailInput
) -> SendPersonalizedEmailOutput:
    """Send one personalised plain-text e-mail to a stored contact through SendGrid.

    The recipient must be a contact of an account in your book; erased or opted-out
    contacts are refused (`contact_erased`, `contact_opted_out`), and `marketing` mail
    needs recorded consent (`consent_missing`). Placeholders such as {{first_name}},
    {{account_name}} and {{csm_name}} are filled from the records; one that cannot be
    filled fails with `invalid_input` naming it, and nothing is sent.

    The message is stored either way. When SendGrid refuses or fails, the call fails
    with the provider's error (`code`, `retryable`; `details.message_id` names the
    stored message, now marked `failed`). Delivery, opens and bounces arrive later
    through the signed SendGrid webhook. Send an `idempotency_key` to retry safely: a
    repeat of a successful send returns the first answer; a failed send is not
    remembered under the key, so repeating it tries again.
    """
    outcome = email_send(
        actor=ctx.actor,
        contact_id=params.contact_id,
        subject=params.subject,
        body=params.body,
        category=params.category,
        connection_id=params.connection_id,
        now=ctx.now,
    )
    message = outcome.message
    ctx.audit(
        message,
        changes={"status": message.status, "contact_id": message.contact_id},
        account_id=message.account_id,
    )
    if outcome.error is not None:
        raise RecordedFailure(
            outcome.error, details={"message_id": message.pk, "status": message.status}
        )
    return SendPersonalizedEmailOutput(
        as_of=ctx.now,
        status="sent",
        message_id=message.pk,
        provider_message_id=message.provider_message_id,
        account_id=message.account_id,
        contact_id=message.contact_id,
        to_email=message.to_email,
        subject=message.subject,
        body=message.body,
        sent_at=message.sent_at,
    )
