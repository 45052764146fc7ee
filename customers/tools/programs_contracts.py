"""Contracts of manage_community and manage_advocacy_program (one shape for both)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, ToolInput, ToolOutput

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


class ManageProgramInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "contribute",
                    "program_key": "champions",
                    "contact_id": 318,
                    "contribution_kind": "case_study",
                    "note": "Published case study on onboarding time",
                }
            ]
        }
    )

    action: Literal[
        "list_programs", "create_program", "join", "leave", "contribute", "member", "leaderboard"
    ] = Field(description="create_program: managers.")
    program_key: str | None = Field(
        default=None, min_length=2, max_length=60, pattern=SLUG, description="Program key."
    )
    name: str | None = Field(default=None, min_length=3, max_length=160, description="create.")
    description: str | None = Field(default=None, max_length=2000, description="create.")
    contact_id: int | None = Field(default=None, ge=1, description="A contact in your book.")
    level: str | None = Field(default=None, max_length=40, description="join: member level.")
    contribution_kind: str | None = Field(
        default=None,
        min_length=2,
        max_length=40,
        pattern=SLUG,
        description="contribute: see default_points.",
    )
    points: int | None = Field(
        default=None, ge=-10000, le=10000, description="Override the default; negative corrects."
    )
    note: str | None = Field(default=None, max_length=300, description="contribute: what.")
    limit: int = Field(default=20, ge=1, le=200, description="Leaderboard rows.")


class ProgramRow(ToolOutput):
    key: str
    name: str
    is_active: bool
    members_in_book: int
    points_in_book: int


class LedgerRow(ToolOutput):
    kind: str
    points: int
    occurred_at: datetime
    note: str


class MemberRow(ToolOutput):
    contact_id: int
    contact_name: str
    account_id: int
    account_name: str
    level: str
    joined_at: datetime
    left_at: datetime | None
    balance: int


class ManageProgramOutput(ToolOutput):
    as_of: AsOf
    action: str
    default_points: dict[str, int]
    programs: list[ProgramRow] | None
    member: MemberRow | None
    ledger: list[LedgerRow] | None = Field(description="member: newest first (last 50).")
    leaderboard: list[MemberRow] | None = Field(description="Your book's members by balance.")
