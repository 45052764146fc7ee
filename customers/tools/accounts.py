"""Account tools: register an account, update its details. Thin: parse → service → shape.

Reading accounts across the portfolio (overview, list, timeline) is `portfolio.tools`."""

from __future__ import annotations

from cs_platform.core.contracts.vocabulary import FieldChange
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor
from customers.services.accounts import account_register, account_update
from customers.tools.accounts_contracts import (
    RegisterClientInput,
    RegisterClientOutput,
    UpdateClientInfoInput,
    UpdateClientInfoOutput,
)


@tool(permission="write", read_only=False, idempotent=False)
def register_client(ctx: ToolContext, params: RegisterClientInput) -> RegisterClientOutput:
    """Register a new customer account.

    Creates the account (lifecycle stage `onboarding`), its primary contact, its first
    contract and the renewal due at the contract's end, in one transaction. A CSM
    registers into their own book (owner defaults to the caller; only managers may name
    another owner). Fails with `conflict` when the domain is already registered. Send an
    `idempotency_key` to make retries safe.
    """
    registered = account_register(
        actor=ctx.actor,
        name=params.name,
        domain=params.domain,
        tier=params.tier,
        industry=params.industry,
        region=params.region,
        owner_id=params.owner_id,
        seats_licensed=params.seats_licensed,
        currency=params.currency,
        arr=params.arr,
        contract_start=params.contract_start,
        contract_end=params.contract_end,
        contact_email=params.contact_email,
        contact_first_name=params.contact_first_name,
        contact_last_name=params.contact_last_name,
        contact_title=params.contact_title,
        now=ctx.now,
    )
    account = registered.account
    ctx.audit(account, changes={"created": ["account", "contact", "contract", "renewal"]})
    return RegisterClientOutput(
        as_of=ctx.now,
        account_id=account.pk,
        contact_id=registered.contact.pk,
        contract_id=registered.contract.pk,
        renewal_id=registered.renewal.pk,
        name=account.name,
        owner_id=account.owner_id,
        lifecycle_stage=account.lifecycle_stage,
    )


@tool(permission="write", read_only=False, idempotent=True)
def update_client_info(ctx: ToolContext, params: UpdateClientInfoInput) -> UpdateClientInfoOutput:
    """Change an account's details (partial update) and get each field's before/after.

    Only the fields you send are changed; sending a field with its current value changes
    nothing. Reassigning `owner_id` is for CS managers. Lifecycle stage moves go through
    `manage_lifecycle_stages` (they need a reason).
    """
    account = account_get_for_actor(ctx.actor, params.account_id, for_update=True)
    changes = params.model_dump(exclude_unset=True, exclude={"account_id", "idempotency_key"})
    diff = account_update(actor=ctx.actor, account=account, changes=changes)
    ctx.audit(account, changes={"diff": diff})
    return UpdateClientInfoOutput(
        as_of=ctx.now,
        account_id=account.pk,
        changed=[
            FieldChange(field=f, before=v["before"], after=v["after"]) for f, v in diff.items()
        ],
    )
