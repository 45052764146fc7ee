"""Contracts of the product-intelligence tools (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, Cursor, Limit, PageInfo, ToolInput, ToolOutput


class AnalyzeProductUsageInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"view": "accounts", "days": 30, "top_features": 3, "limit": 20}]
        }
    )

    view: Literal["features", "accounts"] = Field(
        default="features",
        description="features: adoption of each feature across your accounts; accounts: "
        "each account's usage and its top features.",
    )
    days: int = Field(
        default=30, ge=1, le=365, description="Window length in days, ending today (1–365)."
    )
    account_id: int | None = Field(
        default=None, ge=1, description="Restrict the analysis to this one account."
    )
    top_features: int = Field(
        default=5, ge=1, le=20, description="accounts view: features listed per account (1–20)."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Page size, 1–200.")


class UsageTotals(ToolOutput):
    accounts_with_usage: int = Field(description="Accounts with active users in the window.")
    days_with_data: int = Field(description="Account-days with a usage row in the window.")
    active_user_days: int
    sessions: int
    events: int


class SourceRow(ToolOutput):
    source: str = Field(description="Where the rows came from: mixpanel, api, seed...")
    rows: int
    accounts: int
    events: int


class FeatureRow(ToolOutput):
    key: str
    name: str
    category: str
    accounts_using: int
    accounts_adopted: int
    share_of_accounts: float | None
    events_total: int
    events_in_window: int


class AccountFeature(ToolOutput):
    key: str
    name: str
    events_in_window: int
    events_total: int
    first_used_on: date
    last_used_on: date


class AccountRow(ToolOutput):
    account_id: int
    name: str
    events_in_window: int = Field(description="UsageDaily events in the window.")
    active_days: int = Field(description="Days in the window with active users.")
    features_used_in_window: int
    features_adopted: int
    top_features: list[AccountFeature]


class AnalyzeProductUsageOutput(ToolOutput):
    as_of: AsOf
    window_start: date
    window_end: date
    days: int
    accounts_in_scope: int = Field(description="Accounts the analysis covers (share denominator).")
    usage: UsageTotals
    sources: list[SourceRow] = Field(description="Usage rows in the window by source.")
    features: list[FeatureRow] = Field(description="features view: this page.")
    accounts: list[AccountRow] = Field(description="accounts view: this page.")
    page: PageInfo
    definitions: dict[str, str] = Field(description="What each figure means.")
