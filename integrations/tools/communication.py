"""Communication tools: personalised e-mail to stored contacts through SendGrid."""

from __future__ import annotations

from cs_platform.core.tools import ToolContext, tool
from integrations.services.email import email_send
from integrations.tasks import outbox_deliver_on_commit
from integrations.tools.communication_contracts import (
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
    filled fails with `invalid_input` naming it, and nothing is stored.

    The message is stored and sent after this call: the answer says `pending`. It then
    becomes `sent`, `failed` (SendGrid refused it; 5xx and timeouts are retried first)
    or `unconfirmed` (SendGrid may have it; it is not sent again), shown on the account
    timeline; delivery, opens and bounces follow by webhook. Send an `idempotency_key`:
    repeating the call with it returns the first answer and sends nothing more.
    """
    queued = email_send(
        actor=ctx.actor,
        contact_id=params.contact_id,
        subject=params.subject,
        body=params.body,
        category=params.category,
        connection_id=params.connection_id,
        now=ctx.now,
    )
    message = queued.message
    ctx.audit(
        message,
        changes={"status": message.status, "contact_id": message.contact_id},
        account_id=message.account_id,
    )
    outbox_deliver_on_commit([queued.delivery.pk])
    return SendPersonalizedEmailOutput(
        as_of=ctx.now,
        status="pending",
        message_id=message.pk,
        delivery_id=queued.delivery.pk,
        account_id=message.account_id,
        contact_id=message.contact_id,
        to_email=message.to_email,
        subject=message.subject,
        body=message.body,
    )
