"""MCP tool descriptions generated from the registry's contracts, compact for agents.

Agents pay per token for `tools/list` before they ask anything, so each tool is listed with
the summary of its docstring (the first paragraph; the rest is the resource
``cs-platform://tools/<name>``) and its input schema without what a model does not need:
pydantic's generated titles (the property name says it), ``default: null`` on optional
fields, and ``additionalProperties: false`` (the server refuses unknown fields anyway, with
the field named). The output schema is listed only to clients that ask for structured
content (``/mcp?structured=1``). The REST channel's OpenAPI keeps the full schemas.
"""

from __future__ import annotations

from typing import Any

from mcp import types

from cs_platform.core.contracts.schema import flat_schema
from cs_platform.core.tools import ToolSpec

NOTES_URI = "cs-platform://tools/{name}"


def description_split(spec: ToolSpec) -> tuple[str, str]:
    """(summary, notes): the docstring's first paragraph and everything after it."""
    summary, _, notes = spec.description.partition("\n\n")
    return " ".join(summary.split()), notes.strip()


def compact_schema(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            # A property *named* "title" has a dict value and stays; a generated title is text.
            if key == "title" and isinstance(value, str):
                continue
            if (key == "default" and value is None) or key == "additionalProperties":
                continue
            out[key] = compact_schema(value)
        return out
    if isinstance(node, list):
        return [compact_schema(v) for v in node]
    return node


def mcp_tool_from_spec(spec: ToolSpec, *, structured: bool = False) -> types.Tool:
    summary, _ = description_split(spec)
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=summary,
        inputSchema=compact_schema(flat_schema(spec.input_model, mode="validation")),
        outputSchema=flat_schema(spec.output_model, mode="serialization") if structured else None,
        annotations=types.ToolAnnotations(
            readOnlyHint=spec.read_only,
            destructiveHint=spec.destructive if not spec.read_only else False,
            idempotentHint=spec.idempotent,
            openWorldHint=False,
        ),
    )


def toolsets_of(spec: ToolSpec) -> frozenset[str]:
    """The toolsets a tool belongs to: its app (``health``) and its group, the module it
    lives in (``support`` for integrations/tools/support.py)."""
    return frozenset({spec.app_label, spec.func.__module__.rsplit(".", 1)[-1]})
