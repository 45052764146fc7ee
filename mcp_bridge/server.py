"""Binds the tool registry to django-mcp-server's MCP server.

We register our own `tools/list` and `tools/call` handlers on the low-level server, so
every MCP tool is the registry's tool, called through `invoke_tool` like any other
channel. (The package's `ModelQueryToolset` and DRF-published tools are not used: the
first leaks every column, the second is broken — see DESIGN.md 2.)

Answers are compact JSON text (no indentation, no second copy). A client that wants MCP
structured content asks for it with `/mcp?structured=1`: then tools/list carries output
schemas and each answer also carries `structuredContent` (with the JSON text as the spec
recommends). `/mcp?toolsets=health,support` lists only those apps' or groups' tools.
Each tool's full notes are the resource `cs-platform://tools/<name>`. A `tools/call`
is answered in the request thread without the SDK's per-request event loop
(`tool_call_direct`); every other message goes through the SDK.
"""

from __future__ import annotations

import contextvars
import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from mcp import types
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.streamable_http import MCP_PROTOCOL_VERSION_HEADER
from mcp.shared.exceptions import McpError
from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS
from mcp_server.djangomcp import django_request_ctx, global_mcp_server
from pydantic import AnyUrl

from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import DomainError, Unauthenticated, unexpected_error
from cs_platform.core.tools import invoke_tool, tool_registry
from mcp_bridge.schema import NOTES_URI, description_split, mcp_tool_from_spec, toolsets_of

logger = logging.getLogger(__name__)

# Set by the stdio command, where there is no HTTP request to carry the caller.
stdio_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "stdio_actor", default=None
)
_tool_lists: dict[tuple[frozenset[str] | None, bool], list[types.Tool]] = {}
_MAX_TOOLSETS = 20


def _query(name: str) -> str:
    request = django_request_ctx.get(None)
    return request.GET.get(name, "") if request is not None else ""


def structured_requested() -> bool:
    """Whether this request asked for MCP structured content (`?structured=1`)."""
    return _query("structured").lower() in ("1", "true", "yes")


def toolsets_requested() -> frozenset[str] | None:
    """The toolsets named in `?toolsets=`, None for all; an unknown name is an error that
    lists the known ones."""
    raw = _query("toolsets")
    if not raw:
        return None
    names = frozenset(n.strip() for n in raw.split(",")[:_MAX_TOOLSETS] if n.strip())
    known = frozenset().union(*(toolsets_of(s) for s in tool_registry().values()))
    unknown = names - known
    if unknown or not names:
        raise McpError(
            types.ErrorData(
                code=types.INVALID_PARAMS,
                message="unknown toolset; known: " + ",".join(sorted(known)),
                data={"field": "toolsets"},
            )
        )
    return names


def mcp_tool_list(
    toolsets: frozenset[str] | None = None, *, structured: bool = False
) -> list[types.Tool]:
    key = (toolsets, structured)
    if key not in _tool_lists:
        _tool_lists[key] = [
            mcp_tool_from_spec(spec, structured=structured)
            for spec in tool_registry().values()
            if toolsets is None or toolsets & toolsets_of(spec)
        ]
    return _tool_lists[key]


def _current_actor() -> Actor:
    actor = stdio_actor.get()
    if actor is not None:
        return actor
    request = django_request_ctx.get(None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Unauthenticated("authentication required")
    token = getattr(request, "auth", None)
    return actor_for_user(user, channel="mcp", token=token if hasattr(token, "scopes") else None)


def tool_result(
    data: dict[str, Any], *, is_error: bool = False, structured: bool = False
) -> types.CallToolResult:
    """One text block of compact JSON; `structuredContent` only when the client asked."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return types.CallToolResult(
        isError=is_error,
        content=[types.TextContent(type="text", text=text)],
        structuredContent=data if structured else None,
    )


def _invoke(name: str, arguments: dict[str, Any], structured: bool) -> types.CallToolResult:
    try:
        return tool_result(invoke_tool(name, _current_actor(), arguments), structured=structured)
    except DomainError as exc:
        return tool_result(exc.as_dict(), is_error=True, structured=structured)
    except Exception as exc:
        logger.exception("tool %s failed", name)
        # Retryable only when the database was briefly unavailable; a bug repeats.
        return tool_result(unexpected_error(exc).as_dict(), is_error=True, structured=structured)


async def _list_tools() -> list[types.Tool]:
    return mcp_tool_list(toolsets_requested(), structured=structured_requested())


async def _call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    # Returning a CallToolResult skips the SDK's own shaping: its indented JSON copy and
    # a jsonschema validation of every answer against the output schema (our answers are
    # pydantic-validated already). thread_sensitive keeps the ORM on the request's thread.
    structured = structured_requested()
    return await sync_to_async(_invoke, thread_sensitive=True)(name, arguments or {}, structured)


def _accepts_json(request: HttpRequest) -> bool:
    accept = [part.strip() for part in request.headers.get("accept", "").split(",")]
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER)
    return (
        any(part.startswith("application/json") for part in accept)
        and content_type == "application/json"
        and (version is None or version in SUPPORTED_PROTOCOL_VERSIONS)
    )


def tool_call_direct(request: HttpRequest, message: dict[str, Any]) -> HttpResponse | None:
    """Answer a `tools/call` request in the request's own thread, or None to leave the
    message to the SDK.

    On this stateless, JSON-response transport a tool call needs no session state, yet the
    SDK's path costs an event loop in another thread per request (`async_to_sync`), a
    session manager, memory streams and a hop back to this thread for the ORM. The message
    was checked by the view (mcp_bridge.jsonrpc: a JSON-RPC request naming a known tool);
    the headers are checked as the SDK checks them, and anything else (a wrong Accept or
    Content-Type, an unsupported protocol version) goes to the SDK, which refuses it in its
    own words. The answer is the JSON-RPC response the SDK would send (exclude_none, by
    alias); `tests/test_mcp_compact.py` compares the two.
    """
    if message.get("method") != "tools/call" or "id" not in message:
        return None
    if not getattr(settings, "MCP_DIRECT_TOOL_CALLS", True) or not _accepts_json(request):
        return None
    params = message.get("params") or {}
    token = django_request_ctx.set(request)
    try:
        result = _invoke(params["name"], params.get("arguments") or {}, structured_requested())
    finally:
        django_request_ctx.reset(token)
    body = {
        "jsonrpc": "2.0",
        "id": message["id"],
        "result": result.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    return HttpResponse(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        content_type="application/json",
    )


def _notes_uri(name: str) -> str:
    return NOTES_URI.format(name=name)


async def _list_resources() -> list[types.Resource]:
    return [
        types.Resource(uri=AnyUrl(_notes_uri(name)), name=name, mimeType="text/markdown")
        for name, spec in tool_registry().items()
        if description_split(spec)[1]
    ]


async def _list_resource_templates() -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(
            uriTemplate=NOTES_URI,
            name="tool_notes",
            description="A tool's full notes (tools/list carries its summary).",
            mimeType="text/markdown",
        )
    ]


async def _read_resource(uri: AnyUrl) -> list[ReadResourceContents]:
    prefix = NOTES_URI.split("{")[0]
    name = str(uri).removeprefix(prefix)
    spec = tool_registry().get(name) if str(uri).startswith(prefix) else None
    if spec is None:
        raise McpError(
            types.ErrorData(code=types.INVALID_PARAMS, message="no such resource", data={})
        )
    return [ReadResourceContents(content=spec.description, mime_type="text/markdown")]


def install() -> None:
    lowlevel = global_mcp_server._mcp_server
    lowlevel.list_tools()(_list_tools)
    # Validation is ours (pydantic), so errors name the field in our error shape.
    lowlevel.call_tool(validate_input=False)(_call_tool)
    lowlevel.list_resources()(_list_resources)
    lowlevel.list_resource_templates()(_list_resource_templates)
    lowlevel.read_resource()(_read_resource)
