"""Flat JSON schemas of tool contracts, as every channel publishes them.

MCP clients (and the models behind them) cope best with flat schemas: every `$ref` is
inlined and `$defs` dropped, so each property carries its own type, enum, bounds and
description right where it is used. MCP's `tools/list` (mcp_bridge) and the OpenAPI
entries of `POST /api/v1/tools/<name>/` (cs_platform.core.api.tool_views) both use
`flat_schema`, so the two channels describe a tool identically.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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


def flat_schema(model: type[BaseModel], *, mode: str) -> dict[str, Any]:
    """`model`'s JSON schema with every `$ref` inlined (`mode`: validation or serialization)."""
    raw = model.model_json_schema(mode=mode)
    # A contract's example request (JSON Schema `examples`) is shown by the OpenAPI entry
    # as its request example; MCP's tools/list is paid per token and goes without it.
    raw.pop("examples", None)
    schema = _inline_refs(raw, raw.get("$defs", {}))
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema
