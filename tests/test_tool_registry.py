"""Every registered tool is complete and published on every channel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cs_platform.core.contracts import ToolInput
from cs_platform.core.tools import tool_registry
from mcp_bridge.server import mcp_tool_list

CORE_TOOLS = {
    "register_client",
    "get_client_overview",
    "update_client_info",
    "list_clients",
    "get_client_timeline",
}


def test_core_tools_are_registered():
    assert CORE_TOOLS <= set(tool_registry())


@pytest.mark.parametrize("name", sorted(tool_registry()))
def test_tool_is_complete(name):
    spec = tool_registry()[name]
    assert len(spec.description) >= 40, "docstring written for an agent"
    assert issubclass(spec.input_model, ToolInput), "input contract forbids unknown fields"
    assert spec.output_model.model_json_schema()["properties"], "output contract"
    assert spec.permission in {"read", "write"}
    if not spec.read_only:
        assert spec.permission == "write"
    schema = spec.input_model.model_json_schema()
    for field, prop in schema.get("properties", {}).items():
        assert prop.get("description"), f"{name}.{field} has no description"
    output = spec.output_model.model_json_schema()
    assert "as_of" in output["properties"], f"{name} answer must carry as_of"


@pytest.mark.parametrize("name", sorted(tool_registry()))
def test_tool_is_on_mcp_and_rest(name):
    published = {t.name: t for t in mcp_tool_list()}
    assert name in published
    tool = published[name]
    assert tool.outputSchema["type"] == "object"
    assert tool.annotations.readOnlyHint is tool_registry()[name].read_only
    assert reverse(f"tool-{name}") == f"/api/v1/tools/{name}/"


@pytest.mark.django_db
def test_openapi_documents_every_tool(client, staff):
    client.force_login(staff["manager"])
    resp = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for name in tool_registry():
        op = paths[f"/api/v1/tools/{name}/"]["post"]
        assert op["operationId"] == f"tool_{name}"
        assert op["requestBody"]["content"]["application/json"]["schema"]["properties"]
