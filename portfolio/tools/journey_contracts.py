"""Contracts of map_customer_journey."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AccountId, AsOf, ToolInput, ToolOutput


class MapCustomerJourneyInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42}]})

    account_id: AccountId


class StageOut(ToolOutput):
    stage: str
    entered_at: datetime
    exited_at: datetime | None = Field(description="Null: the current stage.")
    days: float
    reason: str
    touchpoints: dict[str, int] = Field(description="Counts by kind within the stage.")
    touchpoints_total: int


class MapCustomerJourneyOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    current_stage: str
    stages: list[StageOut]
    touchpoints_before_first_stage: int
    touchpoints_total: dict[str, int]
    last_touch_at: datetime | None
    days_since_last_touch: int | None
