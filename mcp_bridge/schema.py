"""JSON schemas for MCP tools, generated from the registry's pydantic contracts.

MCP clients (and the models behind them) cope best with flat schemas: every `$ref` is
inlined and `$defs` dropped, so each property carries its own type, enum, bounds and
description right where it is used.
"""

from __future__ import annotations

from typing import Any

from mcp import types

from cs_platform.core.tools import ToolSpec


def _inline_refs(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    if depth > 20:
        raise ValueError("recursive contract: tool schemas must not be self-referencing")
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].split("/")[-1]]
            merged = {**_inline_refs(target, defs, depth + 1)}
            for key, value in node.items():
                if key != "$ref":
                    merged[key] = _inline_refs(value, defs, depth + 1)
            return merged
        return {k: _inline_refs(v, defs, depth) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs, depth) for v in node]
    return node


def flat_schema(model: type, *, mode: str) -> dict[str, Any]:
    raw = model.model_json_schema(mode=mode)
    schema = _inline_refs(raw, raw.get("$defs", {}))
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


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
