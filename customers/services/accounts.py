"""Writes on accounts: registration (account + primary contact + contract + renewal) and
validated partial updates. Callers run these inside a transaction (invoke_tool does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from cs_platform.core.errors import Conflict, InvalidInput, field_error
from customers.models import (
    Account,
    Contact,
    ContactRole,
    Contract,
    LifecycleStage,
    LifecycleStageChange,
    Renewal,
)


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


def account_register(
    *,
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
    registered_by: Any,
    now: datetime,
) -> RegisteredAccount:
    """Create an onboarding account with its primary contact, contract and first renewal."""
    if contract_end <= contract_start:
        raise field_error("contract_end", "must be after contract_start")
    if domain and Account.objects.filter(domain__iexact=domain).exists():
        raise Conflict(
            f"an account with domain {domain!r} already exists",
            details={
                "field": "domain",
                "errors": [{"field": "domain", "message": "already registered", "type": "unique"}],
            },
        )
    owner = _owner_or_error(owner_id)
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
                name=f"{name} subscription",
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
            LifecycleStageChange.objects.create(
                account=account,
                from_stage="",
                to_stage=LifecycleStage.ONBOARDING,
                changed_at=now,
                reason="Registered",
                changed_by=registered_by,
            )
    except IntegrityError as exc:  # a concurrent registration of the same domain
        raise Conflict("account could not be registered: " + str(exc).splitlines()[0]) from exc
    return RegisteredAccount(account=account, contact=contact, contract=contract, renewal=renewal)


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
)


def account_update(
    *, account: Account, changes: dict[str, Any], can_reassign: bool
) -> dict[str, Any]:
    """Apply a partial update; returns {field: {"before", "after"}} for fields that changed."""
    unknown = sorted(set(changes) - set(UPDATABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "fields cannot be updated here",
            details={
                "errors": [
                    {"field": f, "message": "not updatable", "type": "extra"} for f in unknown
                ]
            },
        )
    if "owner_id" in changes:
        if not can_reassign:
            raise field_error(
                "owner_id", "only a CS manager can reassign an account", code="forbidden"
            )
        _owner_or_error(changes["owner_id"])
    if changes.get("domain"):
        changes["domain"] = changes["domain"].lower()
        clash = Account.objects.filter(domain=changes["domain"]).exclude(pk=account.pk).exists()
        if clash:
            raise Conflict(
                f"another account already uses domain {changes['domain']!r}",
                details={
                    "errors": [
                        {"field": "domain", "message": "already registered", "type": "unique"}
                    ]
                },
            )
    diff: dict[str, Any] = {}
    for field, value in changes.items():
        before = getattr(account, field)
        if before != value:
            diff[field] = {"before": before, "after": value}
            setattr(account, field, value)
    if diff:
        account.save(update_fields=[*diff.keys(), "updated_at"])
    return diff
