"""Writes on accounts: registration (account + primary contact + contract + renewal),
creation and validated partial updates (a stage move goes through the lifecycle service),
and deletion. Each writes its own audit event in its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from cs_platform.core.models import Role
from cs_platform.core.records import RecordSpec, record_delete
from cs_platform.core.services import (
    diff_redact,
    fields_check,
    model_create,
    model_update,
    model_values,
    values_diff,
)
from customers.models import (
    Account,
    Contact,
    ContactRole,
    Contract,
    LifecycleStage,
    Renewal,
)
from customers.services.erased import erased_identity_refuse
from customers.services.lifecycle import account_stage_move, account_stage_start
from customers.services.money import account_arr_reporting_set

# Free text may name people: audited by field name only.
ACCOUNT_PERSONAL = frozenset({"notes"})
ACCOUNT_RECORD = RecordSpec(Account, "account", account="", personal=ACCOUNT_PERSONAL)


@dataclass(frozen=True)
class RegisteredAccount:
    account: Account
    contact: Contact
    contract: Contract
    renewal: Renewal


def _owner_or_error(owner_id: int | None) -> Any:
    if owner_id is None:
        return None
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise field_error("owner_id", "no active user with this id", code="unknown")
    return owner


def _may_reassign(actor: Actor | None) -> bool:
    return actor is None or actor.role == Role.MANAGER or actor.user.is_superuser


def account_owner_for(actor: Actor | None, owner_id: int | None) -> int | None:
    """Who owns a new account: a CSM's lands in their own book (they may name nobody
    else); a manager names any active user or nobody."""
    if _may_reassign(actor):
        return owner_id
    if owner_id not in (None, actor.user_id):
        raise field_error("owner_id", "a CSM can only register accounts they own", code="forbidden")
    return actor.user_id


def _domain_free(domain: str | None, *, exclude: int | None = None) -> None:
    if domain and Account.objects.filter(domain__iexact=domain).exclude(pk=exclude).exists():
        raise Conflict(
            f"an account with domain {domain!r} already exists",
            details={
                "field": "domain",
                "errors": [{"field": "domain", "message": "already registered", "type": "unique"}],
            },
        )


def _audited(actor: Actor | None, action: str, account: Account, diff: dict[str, Any]) -> None:
    audit_record(
        actor,
        action,
        account,
        changes={"diff": diff_redact(Account, diff, personal=ACCOUNT_PERSONAL)},
    )


SUBSCRIPTION = " subscription"
CONTRACT_NAME_MAX = Contract._meta.get_field("name").max_length


def account_register(
    *,
    actor: Actor,
    name: str,
    domain: str | None,
    tier: str,
    industry: str,
    region: str,
    owner_id: int | None,
    seats_licensed: int,
    currency: str,
    arr: Decimal,
    contract_start: date,
    contract_end: date,
    contact_email: str,
    contact_first_name: str,
    contact_last_name: str,
    contact_title: str,
    now: datetime,
) -> RegisteredAccount:
    """Create an onboarding account with its primary contact, contract and first renewal."""
    if contract_end <= contract_start:
        raise field_error("contract_end", "must be after contract_start")
    _domain_free(domain)
    # A registration does not re-create a person erased under GDPR.
    erased_identity_refuse({"email": contact_email}, field_names={"email": "contact_email"})
    owner = _owner_or_error(account_owner_for(actor, owner_id))
    try:
        with transaction.atomic():
            account = Account.objects.create(
                name=name,
                domain=domain.lower() if domain else None,
                tier=tier,
                industry=industry,
                region=region,
                owner=owner,
                seats_licensed=seats_licensed,
                currency=currency,
                arr=arr,
                customer_since=contract_start,
                lifecycle_stage=LifecycleStage.ONBOARDING,
            )
            account_arr_reporting_set(account)
            contact = Contact.objects.create(
                account=account,
                email=contact_email.lower(),
                first_name=contact_first_name,
                last_name=contact_last_name,
                title=contact_title,
                role=ContactRole.CHAMPION,
                is_primary=True,
            )
            contract = Contract.objects.create(
                account=account,
                # An account name may be as long as a contract's: the suffix must fit too.
                name=f"{name[: CONTRACT_NAME_MAX - len(SUBSCRIPTION)]}{SUBSCRIPTION}",
                start_date=contract_start,
                end_date=contract_end,
                arr=arr,
                currency=currency,
                seats=seats_licensed,
            )
            renewal = Renewal.objects.create(
                account=account,
                contract=contract,
                renewal_date=contract_end,
                current_arr=arr,
                currency=currency,
                owner=owner,
            )
            account_stage_start(account=account, reason="Registered", actor=actor, now=now)
            audit_record(
                actor,
                "account.register",
                account,
                changes={
                    "created": {
                        "contact": contact.pk,
                        "contract": contract.pk,
                        "renewal": renewal.pk,
                    }
                },
            )
    except IntegrityError as exc:  # a concurrent registration of the same domain
        raise Conflict("account could not be registered: " + str(exc).splitlines()[0]) from exc
    return RegisteredAccount(account=account, contact=contact, contract=contract, renewal=renewal)


# What a partial update may change; a stage move (`lifecycle_stage`) needs a reason and
# goes through `account_stage_move`, which keeps the stage history and status in step.
UPDATABLE_FIELDS = (
    "name",
    "domain",
    "tier",
    "industry",
    "region",
    "seats_licensed",
    "payment_status",
    "owner_id",
    "notes",
    "currency",
    "parent_id",
    "status",
    "customer_since",
    "churned_on",
    "arr",
    "zendesk_org_id",
    "intercom_company_id",
    "mixpanel_group_id",
    "lifecycle_stage",
)


def account_create(
    *,
    actor: Actor | None,
    fields: dict[str, Any],
    stage_reason: str = "",
    now: datetime | None = None,
) -> Account:
    """Create one account from its fields (as `UPDATABLE_FIELDS` names them) and start its
    stage history; a CSM's account lands in their own book."""
    fields = {k: v for k, v in fields.items() if k in UPDATABLE_FIELDS and v is not None}
    fields["owner_id"] = account_owner_for(actor, fields.get("owner_id"))
    _owner_or_error(fields["owner_id"])
    if fields.get("domain"):
        fields["domain"] = fields["domain"].lower()
        _domain_free(fields["domain"])
    with transaction.atomic():
        account = model_create(Account, fields)
        account_arr_reporting_set(account)
        account_stage_start(
            account=account, reason=stage_reason or "Created", actor=actor, now=now or clock.now()
        )
        _audited(actor, "account.create", account, values_diff({}, model_values(account)))
    return account


def _arr_follows_contracts(account: Account, changes: dict[str, Any]) -> None:
    """An account with contracts takes its ARR and currency from them
    (`customers.services.contracts`): typing another amount would make two truths."""
    moved = []
    if "arr" in changes and not _same_amount(changes["arr"], account.arr):
        moved.append("arr")
    if "currency" in changes and changes["currency"] != account.currency:
        moved.append("currency")
    if moved and Contract.objects.filter(account=account).exists():
        raise field_error(
            moved[0],
            "follows the account's active contracts: change a contract instead",
            code="derived",
        )


def _same_amount(value: Any, current: Decimal) -> bool:
    try:
        return Decimal(str(value)) == current
    except ArithmeticError:
        return False


def account_update(
    *,
    actor: Actor | None,
    account: Account,
    changes: dict[str, Any],
    stage_reason: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Apply a partial update; returns {field: {"before", "after"}} for fields that changed.

    Reassigning `owner_id` is for CS managers. A `lifecycle_stage` change is a stage move
    and needs `stage_reason`; its history row and event are the lifecycle service's."""
    fields_check(changes, UPDATABLE_FIELDS)
    changes = dict(changes)
    _arr_follows_contracts(account, changes)
    if "owner_id" in changes and changes["owner_id"] != account.owner_id:
        if not _may_reassign(actor):
            raise field_error(
                "owner_id", "only a CS manager can reassign an account", code="forbidden"
            )
        _owner_or_error(changes["owner_id"])
    if changes.get("parent_id") is not None and changes["parent_id"] == account.pk:
        raise field_error("parent_id", "an account cannot be its own parent")
    if changes.get("domain"):
        changes["domain"] = changes["domain"].lower()
        _domain_free(changes["domain"], exclude=account.pk)
    to_stage = changes.pop("lifecycle_stage", account.lifecycle_stage)
    with transaction.atomic():
        diff = model_update(account, changes)
        if diff:
            if {"arr", "currency"} & diff.keys():
                account_arr_reporting_set(account)
            _audited(actor, "account.update", account, diff)
        if to_stage != account.lifecycle_stage:
            before = account.lifecycle_stage
            account_stage_move(
                account=account,
                to_stage=to_stage,
                reason=stage_reason,
                actor=actor,
                now=now or clock.now(),
            )
            diff["lifecycle_stage"] = {"before": before, "after": to_stage}
    return diff


def account_delete(*, actor: Actor | None, account: Account) -> None:
    """Delete an account and everything hanging off it (its history goes with it)."""
    record_delete(ACCOUNT_RECORD, actor=actor, instance=account)
