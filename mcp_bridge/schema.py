"""MCP tool descriptions generated from the registry's contracts (flat schemas from core)."""

from __future__ import annotations

from mcp import types

from cs_platform.core.contracts.schema import flat_schema
from cs_platform.core.tools import ToolSpec


def mcp_tool_from_spec(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        inputSchema=flat_schema(spec.input_model, mode="validation"),
        outputSchema=flat_schema(spec.output_model, mode="serialization"),
        annotations=types.ToolAnnotations(
            title=spec.title,
            readOnlyHint=spec.read_only,
            destructiveHint=spec.destructive if not spec.read_only else False,
            idempotentHint=spec.idempotent,
            openWorldHint=False,
        ),
    )
