"""Contracts of the account tools: register_client, update_client_info (pydantic, flat,
documented)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from cs_platform.core.contracts import (
    AccountId,
    AsOf,
    Email,
    IdempotencyKey,
    Omittable,
    ToolInput,
    ToolOutput,
)
from cs_platform.core.contracts.vocabulary import FieldChange, TierName
from customers.models import Currency, Industry, PaymentStatus

IndustryName = Literal[tuple(Industry.values)]  # type: ignore[valid-type]
CurrencyCode = Literal[tuple(Currency.values)]  # type: ignore[valid-type]
PaymentStatusName = Literal[tuple(PaymentStatus.values)]  # type: ignore[valid-type]
Domain = Annotated[
    str,
    Field(
        min_length=3,
        max_length=253,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)+$",
        description="Company e-mail/web domain, e.g. acme.io (unique per account).",
    ),
]
Money = Annotated[
    Decimal, Field(ge=0, max_digits=14, decimal_places=2, description="Amount ≥ 0, 2 decimals.")
]


# --- register_client ---------------------------------------------------------------
class RegisterClientInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Northwind Logistics",
                    "domain": "northwind.example",
                    "tier": "mid_market",
                    "industry": "logistics",
                    "region": "EMEA",
                    "seats_licensed": 120,
                    "arr": 48000,
                    "currency": "EUR",
                    "contract_start": "2026-01-01",
                    "contract_end": "2026-12-31",
                    "contact_email": "ana.silva@northwind.example",
                    "contact_first_name": "Ana",
                    "contact_last_name": "Silva",
                    "contact_title": "Head of Operations",
                    "idempotency_key": "register-northwind-2026",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200, description="Account (company) name.")
    domain: Domain | None = Field(default=None, description="Company domain, e.g. acme.io.")
    tier: TierName = Field(description="Commercial tier.")
    industry: IndustryName = Field(default="other", description="Industry.")
    region: str = Field(default="", max_length=32, description="Sales region, e.g. EMEA.")
    owner_id: int | None = Field(
        default=None, ge=1, description="CSM user id; defaults to the caller when a CSM."
    )
    seats_licensed: int = Field(ge=0, le=1_000_000, description="Licensed seats.")
    arr: Money = Field(description="Annual recurring revenue of the first contract.")
    currency: CurrencyCode = Field(default="USD", description="ISO currency of `arr`.")
    contract_start: date = Field(description="First contract start date (YYYY-MM-DD).")
    contract_end: date = Field(description="First contract end date; the first renewal date.")
    contact_email: Email = Field(description="Primary contact's e-mail.")
    contact_first_name: str = Field(default="", max_length=100, description="Contact first name.")
    contact_last_name: str = Field(default="", max_length=100, description="Contact last name.")
    contact_title: str = Field(default="", max_length=120, description="Contact job title.")
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _contract_dates(self) -> RegisterClientInput:
        if self.contract_end <= self.contract_start:
            raise ValueError("contract_end must be after contract_start")
        return self


class RegisterClientOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    contact_id: int
    contract_id: int
    renewal_id: int
    name: str
    owner_id: int | None
    lifecycle_stage: str


# --- update_client_info ------------------------------------------------------------
class UpdateClientInfoInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": 42,
                    "seats_licensed": 150,
                    "payment_status": "late",
                    "idempotency_key": "update-42-seats-150",
                }
            ]
        }
    )

    account_id: AccountId
    # Omittable: these columns are NOT NULL, so null is refused (omit a field to keep it).
    name: str = Omittable(min_length=1, max_length=200, description="New name.")
    domain: Domain | None = Field(default=None, description="New unique company domain.")
    tier: TierName = Omittable(description="New commercial tier.")
    industry: IndustryName = Omittable(description="New industry.")
    region: str = Omittable(max_length=32, description="New sales region.")
    seats_licensed: int = Omittable(ge=0, le=1_000_000, description="New licensed seat count.")
    payment_status: PaymentStatusName = Omittable(
        description="Billing standing: current, late, delinquent or unknown."
    )
    currency: CurrencyCode = Omittable(description="ISO currency of ARR.")
    owner_id: int | None = Field(default=None, ge=1, description="Reassign (managers only).")
    notes: str = Omittable(max_length=10_000, description="Free-text notes.")
    idempotency_key: IdempotencyKey


class UpdateClientInfoOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    changed: list[FieldChange] = Field(description="Only fields whose value actually changed.")
