"""Every registered tool is complete, found by discovery and published on every channel."""

from __future__ import annotations

import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from cs_platform.core import tools as registry
from cs_platform.core.contracts import ToolInput
from cs_platform.core.tools import tool_modules_import, tool_registry
from mcp_bridge.server import mcp_tool_list

# Every tool, sorted. A tool that disappears (a module moved out of its app's `tools`
# package, a rename, a deleted file) fails here; a new tool is added here on purpose.
ALL_TOOLS = [
    "activate_onboarding_automation",
    "analyze_churn_postmortem",
    "analyze_engagement_patterns",
    "analyze_feedback_sentiment",
    "analyze_product_usage",
    "analyze_support_performance",
    "automate_communications",
    "automate_newsletters",
    "automate_retention_campaigns",
    "backtest_scorecard",
    "calculate_health_score",
    "collect_feedback",
    "conduct_executive_review",
    "configure_autonomous_worker",
    "create_onboarding_plan",
    "deliver_training_session",
    "execute_retention_campaign",
    "explain_health_change",
    "export_personal_data",
    "forecast_renewals",
    "get_autonomous_status",
    "get_client_overview",
    "get_client_timeline",
    "get_sync_status",
    "get_worker_config",
    "handle_support_ticket",
    "identify_churn_risk",
    "identify_crosssell_opportunities",
    "identify_expansion_opportunities",
    "identify_upsell_opportunities",
    "list_available_workers",
    "list_clients",
    "manage_advocacy_program",
    "manage_certification_program",
    "manage_community",
    "manage_customer_portal",
    "manage_escalations",
    "manage_knowledge_base",
    "manage_lifecycle_stages",
    "manage_voice_of_customer",
    "map_customer_journey",
    "monitor_satisfaction",
    "negotiate_renewals",
    "optimize_customer_lifetime_value",
    "optimize_onboarding_process",
    "optimize_time_to_value",
    "register_client",
    "route_tickets",
    "score_risk_factors",
    "segment_by_value_tier",
    "segment_customers",
    "send_personalized_email",
    "share_product_insights",
    "track_adoption_milestones",
    "track_cs_metrics",
    "track_feature_adoption",
    "track_onboarding_progress",
    "track_renewals",
    "track_revenue_expansion",
    "track_usage_engagement",
    "trigger_sync",
    "trigger_worker_now",
    "update_client_info",
    "update_knowledge_base",
]

PROBE_TOOL = """
from cs_platform.core.contracts import AsOf, ToolInput, ToolOutput
from cs_platform.core.tools import ToolContext, tool


class ProbeInput(ToolInput):
    pass


class ProbeOutput(ToolOutput):
    as_of: AsOf


@tool(permission="read", read_only=True)
def probe_hidden_tool(ctx: ToolContext, params: ProbeInput) -> ProbeOutput:
    \"\"\"A tool in a module that no other module imports.\"\"\"
    return ProbeOutput(as_of=ctx.now)
"""


def test_registry_holds_exactly_the_pinned_tools():
    assert list(tool_registry()) == ALL_TOOLS


@pytest.fixture
def probe_app(tmp_path, monkeypatch):
    """A throwaway app package on sys.path; the registry is emptied for the test and
    restored after it, so the probe tool never reaches the real catalogue."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_REGISTRY", {})
    yield tmp_path
    for name in [m for m in sys.modules if m.split(".")[0].startswith("probe_app")]:
        del sys.modules[name]


def test_discovery_finds_a_tool_module_nothing_imports(probe_app):
    deep = probe_app / "probe_app" / "tools" / "nested"
    deep.mkdir(parents=True)
    (probe_app / "probe_app" / "__init__.py").write_text("")
    (probe_app / "probe_app" / "tools" / "__init__.py").write_text('"""Imports nothing."""\n')
    (deep / "__init__.py").write_text("")
    (deep / "hidden.py").write_text(PROBE_TOOL)

    found = tool_modules_import(["probe_app"])

    assert "probe_app.tools.nested.hidden" in found
    assert list(registry._REGISTRY) == ["probe_hidden_tool"]
    assert registry._REGISTRY["probe_hidden_tool"].app_label == "probe_app"


def test_discovery_skips_apps_without_tools_and_refuses_a_tools_module(probe_app):
    (probe_app / "probe_app_plain").mkdir()
    (probe_app / "probe_app_plain" / "__init__.py").write_text("")
    assert tool_modules_import(["probe_app_plain"]) == []

    (probe_app / "probe_app_flat").mkdir()
    (probe_app / "probe_app_flat" / "__init__.py").write_text("")
    (probe_app / "probe_app_flat" / "tools.py").write_text("")
    with pytest.raises(ImproperlyConfigured, match="must be a package"):
        tool_modules_import(["probe_app_flat"])


@pytest.mark.parametrize("name", ALL_TOOLS)
def test_contracts_sit_next_to_their_tool(name):
    """One layout in every app: `<app>/tools/<group>.py` takes its input and output
    contracts from `<app>/tools/<group>_contracts.py`."""
    spec = tool_registry()[name]
    module = spec.func.__module__
    assert module.split(".")[1] == "tools", f"{name} is defined outside a tools package"
    assert spec.input_model.__module__ == f"{module}_contracts"
    assert spec.output_model.__module__ == f"{module}_contracts"


@pytest.mark.parametrize("name", sorted(tool_registry()))
def test_tool_is_complete(name):
    spec = tool_registry()[name]
    assert len(spec.description) >= 40, "docstring written for an agent"
    assert issubclass(spec.input_model, ToolInput), "input contract forbids unknown fields"
    assert spec.output_model.model_json_schema()["properties"], "output contract"
    assert spec.permission in {"read", "write"}
    if not spec.read_only and spec.permission == "read":
        # A read that stores what it computes: named in tests/test_reads_read.py.
        assert name in {"identify_churn_risk"}
    schema = spec.input_model.model_json_schema()
    for field, prop in schema.get("properties", {}).items():
        assert prop.get("description"), f"{name}.{field} has no description"
    output = spec.output_model.model_json_schema()
    assert "as_of" in output["properties"], f"{name} answer must carry as_of"


@pytest.mark.parametrize("name", sorted(tool_registry()))
def test_tool_is_on_mcp_and_rest(name):
    published = {t.name: t for t in mcp_tool_list(structured=True)}
    assert name in published
    tool = published[name]
    assert tool.outputSchema["type"] == "object"
    assert next(t for t in mcp_tool_list() if t.name == name).outputSchema is None
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
