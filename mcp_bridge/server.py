"""Binds the tool registry to django-mcp-server's MCP server.

We register our own `tools/list` and `tools/call` handlers on the low-level server, so
every MCP tool is the registry's tool, called through `invoke_tool` like any other
channel. (The package's `ModelQueryToolset` and DRF-published tools are not used: the
first leaks every column, the second is broken — see DESIGN.md 2.)
"""

from __future__ import annotations

import contextvars
import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from mcp import types
from mcp_server.djangomcp import django_request_ctx, global_mcp_server

from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import DomainError, Unauthenticated, unexpected_error
from cs_platform.core.tools import invoke_tool, tool_registry
from mcp_bridge.schema import mcp_tool_from_spec

logger = logging.getLogger(__name__)

# Set by the stdio command, where there is no HTTP request to carry the caller.
stdio_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "stdio_actor", default=None
)
_tool_list: list[types.Tool] | None = None


def mcp_tool_list() -> list[types.Tool]:
    global _tool_list
    if _tool_list is None:
        _tool_list = [mcp_tool_from_spec(spec) for spec in tool_registry().values()]
    return _tool_list


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


def error_result(error: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        isError=True,
        content=[types.TextContent(type="text", text=json.dumps(error))],
        structuredContent=error,
    )


def _invoke(name: str, arguments: dict[str, Any]) -> dict[str, Any] | types.CallToolResult:
    try:
        return invoke_tool(name, _current_actor(), arguments)
    except DomainError as exc:
        return error_result(exc.as_dict())
    except Exception as exc:
        logger.exception("tool %s failed", name)
        # Retryable only when the database was briefly unavailable; a bug repeats.
        return error_result(unexpected_error(exc).as_dict())


async def _list_tools() -> list[types.Tool]:
    return mcp_tool_list()


async def _call_tool(name: str, arguments: dict[str, Any]) -> Any:
    # thread_sensitive keeps the ORM on the request's thread (and its transaction).
    return await sync_to_async(_invoke, thread_sensitive=True)(name, arguments or {})


def install() -> None:
    lowlevel = global_mcp_server._mcp_server
    lowlevel.list_tools()(_list_tools)
    # Validation is ours (pydantic), so errors name the field in our error shape.
    lowlevel.call_tool(validate_input=False)(_call_tool)
