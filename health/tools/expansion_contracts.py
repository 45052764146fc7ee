"""Contracts of the expansion tools: identify_upsell_opportunities,
identify_crosssell_opportunities, identify_expansion_opportunities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, DryRun, ToolInput, ToolOutput


class IdentifyOpportunitiesInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"account_ids": [12, 57], "limit": 20, "dry_run": True}]}
    )

    account_ids: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Only these accounts; omit for your whole book.",
    )
    limit: int = Field(
        default=50, ge=1, le=200, description="Opportunities listed (largest first)."
    )
    dry_run: DryRun


class OpportunityRow(ToolOutput):
    id: int | None = Field(description="Stored ExpansionOpportunity (null in a dry run when new).")
    account_id: int
    account_name: str
    kind: str
    product: str
    amount: Decimal
    currency: str
    amount_reporting: Decimal | None = Field(
        description="In the reporting currency; null without a rate."
    )
    status: str
    result: Literal["created", "refreshed", "unchanged"]
    rationale: dict[str, Any]


class IdentifyOpportunitiesOutput(ToolOutput):
    as_of: AsOf
    dry_run: bool
    accounts_scanned: int
    created: int
    refreshed: int
    unchanged: int
    total_reporting: Decimal = Field(description="Sum of amount_reporting over all found.")
    reporting_currency: str
    opportunities: list[OpportunityRow]
    truncated: bool = Field(description="More were found than `limit` lists.")
    rules: dict[str, str]
