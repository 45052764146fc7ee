"""`POST /api/v1/tools/<name>/`: every registered tool over REST, through `invoke_tool`.

Each tool gets its own view class so OpenAPI documents its request and response schema
(the same flat schemas MCP publishes, from `cs_platform.core.contracts.schema`); an
unknown name falls through to the generic route and answers `not_found`. cs_platform/urls.py
mounts these routes ahead of the apps' resource routers.
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cs_platform.core.actors import actor_for_user
from cs_platform.core.api.tool_examples import error_examples, request_example, response_example
from cs_platform.core.contracts.schema import flat_schema
from cs_platform.core.tools import ToolSpec, invoke_tool, tool_registry


class ToolInvokeView(APIView):
    permission_classes = [IsAuthenticated]
    tool_name: str = ""

    def post(self, request: Request, name: str | None = None) -> Response:
        token = request.auth if hasattr(request.auth, "scopes") else None
        actor = actor_for_user(request.user, channel="rest", token=token)
        payload = request.data if request.data is not None else {}
        return Response(invoke_tool(self.tool_name or name or "", actor, payload))


def _documented_view(spec: ToolSpec) -> type[ToolInvokeView]:
    def post(self: ToolInvokeView, request: Request) -> Response:
        return ToolInvokeView.post(self, request)

    output_schema = flat_schema(spec.output_model, mode="serialization")
    answer = response_example(spec, flat_schema(spec.output_model, mode="validation"))
    examples = [OpenApiExample("answer", value=answer, response_only=True)]
    request = request_example(spec)
    if request is not None:
        examples.insert(0, OpenApiExample("request", value=request, request_only=True))
    documented = extend_schema(
        operation_id=f"tool_{spec.name}",
        summary=spec.title,
        description=spec.description,
        tags=["tools"],
        request={"application/json": flat_schema(spec.input_model, mode="validation")},
        responses={200: OpenApiResponse(response=output_schema, description="The answer.")},
        examples=examples,
    )(post)
    # Errors with their bodies (cs_platform.core.api.schema.ApiAutoSchema): 400, 404 and
    # 409 (idempotency_key reuse; a state a read cannot serve, e.g. a monitor that is not
    # implemented), besides those of every call.
    attrs = {
        "tool_name": spec.name,
        "post": documented,
        "error_statuses": (400, 404, 409),
        "error_examples": error_examples(spec),
    }
    return type(f"Tool_{spec.name}", (ToolInvokeView,), attrs)


def tool_urlpatterns() -> list[URLPattern]:
    patterns = [
        path(f"tools/{name}/", _documented_view(spec).as_view(), name=f"tool-{name}")
        for name, spec in tool_registry().items()
    ]
    # A subclass, because decorating ToolInvokeView itself would hide every tool's docs.
    generic = extend_schema(exclude=True)(type("ToolInvokeAny", (ToolInvokeView,), {}))
    patterns.append(path("tools/<str:name>/", generic.as_view(), name="tool-invoke"))
    return patterns
