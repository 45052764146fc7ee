"""Contracts of the data-subject tools (pydantic, flat, documented)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, Email, ToolInput, ToolOutput


class ExportPersonalDataInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ana.silva@example.com", "request_id": 7}]}
    )

    email: Email | None = Field(default=None, description="The subject's e-mail address.")
    contact_id: int | None = Field(default=None, ge=1, description="A contact id of the subject.")
    request_id: int | None = Field(
        default=None,
        ge=1,
        description="Data-subject request this answers (default: every open access request "
        "for the address).",
    )


class ExportPersonalDataOutput(ToolOutput):
    as_of: AsOf
    manifest: dict[str, Any] = Field(
        description="schema_version, generated_at, subject, counts per model, models_searched."
    )
    data: dict[str, list[dict[str, Any]]] = Field(description="Rows about the subject by model.")
