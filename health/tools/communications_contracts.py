"""Contracts of automate_communications (stored trigger → e-mail rules)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, DryRun, ToolInput, ToolOutput
from cs_platform.core.contracts.vocabulary import FieldChange, RuleMatch
from health.services.communications import RECIPIENTS
from health.tools.segmentation_contracts import RuleCondition

RecipientName = Literal[RECIPIENTS]  # type: ignore[valid-type]


class AutomateCommunicationsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "name": "Renewal in 60 days: check-in",
                    "conditions": [
                        {"field": "days_to_renewal", "op": "between", "value": [55, 60]}
                    ],
                    "recipient": "primary",
                    "subject": "{{account_name}}: your renewal",
                    "body": "Hi {{first_name}}, shall we review the year together? {{csm_name}}",
                    "window_days": 90,
                }
            ]
        }
    )

    action: Literal["list", "get", "firings", "create", "update", "run_now"] = Field(
        description="create/update/run_now: managers."
    )
    rule_id: int | None = Field(
        default=None, ge=1, description="The rule (get, firings, update, run_now)."
    )
    name: str | None = Field(default=None, min_length=3, max_length=160, description="Rule name.")
    match: RuleMatch | None = Field(default=None, description="Combine conditions.")
    conditions: list[RuleCondition] | None = Field(
        default=None, min_length=1, max_length=20, description="Trigger: segment rule conditions."
    )
    recipient: RecipientName | None = Field(default=None, description="Contact: primary or a role.")
    category: Literal["service", "marketing"] | None = Field(
        default=None, description="marketing needs recorded consent."
    )
    subject: str | None = Field(default=None, min_length=1, max_length=300, description="Template.")
    body: str | None = Field(default=None, min_length=1, max_length=20000, description="Template.")
    window_days: int | None = Field(
        default=None, ge=1, le=365, description="Once per account per N days."
    )
    status: Literal["active", "paused"] | None = Field(
        default=None, description="Only active rules run."
    )
    limit: int = Field(default=50, ge=1, le=200, description="Rows listed.")
    dry_run: DryRun


class RuleRow(ToolOutput):
    id: int
    name: str
    status: str
    conditions: dict[str, Any]
    recipient: str
    category: str
    subject: str
    body: str
    window_days: int
    last_evaluated_at: datetime | None


class FiringRow(ToolOutput):
    account_id: int
    account_name: str
    window_start: date
    fired_at: datetime
    status: str = Field(description="queued (e-mail) or skipped.")
    skip_reason: str | None
    email_message_id: int | None
    email_status: str | None


class AutomateCommunicationsOutput(ToolOutput):
    as_of: AsOf
    action: str
    dry_run: bool
    rule: RuleRow | None
    rules: list[RuleRow] | None
    firings: list[FiringRow] | None = Field(description="Newest first, in your book.")
    changed: list[FieldChange] | None
    evaluation: dict[str, Any] | None = Field(
        description="run_now: matched, already_fired (this window), queued, skipped by reason."
    )
