from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from mcp_server.views import MCPServerStreamableHttpView
from rest_framework.permissions import IsAuthenticated

from cs_platform.core.authentication import BearerTokenAuthentication


@extend_schema(exclude=True)  # JSON-RPC, described by MCP's own tools/list
@method_decorator(csrf_exempt, name="dispatch")
class McpView(MCPServerStreamableHttpView):
    """Streamable-HTTP MCP endpoint with bearer-token auth.

    django-mcp-server 0.5.7 answers GET by opening an SSE stream that spins at 100% CPU
    forever; we serve JSON responses only, so GET is refused before anything else runs.
    """

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            response = HttpResponse(status=405)
            response["Allow"] = "POST, DELETE"
            return response
        return super().dispatch(request, *args, **kwargs)
