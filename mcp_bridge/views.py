from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from mcp_server.views import MCPServerStreamableHttpView
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from cs_platform.core.authentication import BearerTokenAuthentication
from cs_platform.core.oauth.authentication import McpOAuthAuthentication
from mcp_bridge.jsonrpc import envelope_error, http_error_as_jsonrpc
from mcp_bridge.server import tool_call_direct


def mcp_www_authenticate(request: HttpRequest) -> str:
    """The challenge of a 401 on /mcp (RFC 6750): MCP clients read it to sign in again;
    `error="invalid_token"` when a token was offered and refused; `resource_metadata`
    (RFC 9728) points at the document from which they find the OAuth server."""
    challenge = 'Bearer realm="mcp"'
    if request.META.get("HTTP_AUTHORIZATION"):
        challenge += ', error="invalid_token"'
    metadata = request.build_absolute_uri(f"/.well-known/oauth-protected-resource{request.path}")
    return f'{challenge}, resource_metadata="{metadata}"'


@extend_schema(exclude=True)  # JSON-RPC, described by MCP's own tools/list
@method_decorator(csrf_exempt, name="dispatch")
class McpView(MCPServerStreamableHttpView):
    """Streamable-HTTP MCP endpoint with bearer-token auth.

    django-mcp-server 0.5.7 answers GET by opening an SSE stream that spins at 100% CPU
    forever; we serve JSON responses only, so GET is refused before anything else runs.
    Every refusal is JSON-RPC: the envelope is checked before the SDK sees it
    (mcp_bridge.jsonrpc), and 401/403/405/429 keep their status and headers
    (`WWW-Authenticate`, `Retry-After`) with a JSON-RPC error body.
    """

    # OAuth access tokens (MCP clients' sign-in) and API tokens (`csp_…`), one Actor rule.
    authentication_classes = [McpOAuthAuthentication, BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    # DRF's plain parser: text the database cannot store is refused per tool call (an
    # `isError` result naming the argument), not for the whole JSON-RPC message.
    parser_classes = [JSONParser]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            response = HttpResponse(status=405)
            response["Allow"] = "POST, DELETE"
            return response
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = envelope_error(request.body)
        if refusal is not None:
            return refusal
        direct = tool_call_direct(request, json.loads(request.body))
        if direct is not None:
            return direct
        return super().post(request, *args, **kwargs)

    def get_authenticate_header(self, request: Request) -> str:
        return mcp_www_authenticate(request)

    def handle_exception(self, exc: Exception) -> HttpResponse:
        response = super().handle_exception(exc)
        return http_error_as_jsonrpc(response, getattr(response, "data", None))
