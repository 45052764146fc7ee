"""deploy/: alert rules, their promtool tests and the dashboard stay true to the code.

promtool itself runs in CI (`make deploy-check`); here, without it: every alert has a
unit test that expects it to fire, and every metric the rules and the dashboard query is
one this code exports (or a recording rule, or Prometheus's own ``up``)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "deploy" / "prometheus" / "rules"
METRIC = re.compile(r"\b(?:cs_[a-z0-9_]+|cs:[a-z0-9_:]+|django_[a-z0-9_]+)\b")
# Modules that create process metrics (imported by the web or worker processes).
METRIC_MODULES = (
    "cs_platform.core.tools",
    "cs_platform.core.telemetry.celery",
    "integrations.resilience",
    "integrations.metrics",
    "health.metrics",
    "django_prometheus.middleware",
    "django_prometheus.db",
    "django_prometheus.cache.metrics",
)


def _rules() -> list[dict]:
    return [
        rule
        for path in sorted(RULES.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def _exported_names() -> set[str]:
    from audit.services import audit_chain_check_record
    from cs_platform.core.telemetry.metrics import exposition

    for module in METRIC_MODULES:
        importlib.import_module(module)
    audit_chain_check_record()  # the audit collector reports the newest stored check
    names: set[str] = set()
    text = exposition(with_scrape_collectors=True).decode()
    for family in text_string_to_metric_families(text):
        suffixes = ("", "_total", "_bucket", "_count", "_sum", "_created")
        names |= {family.name + suffix for suffix in suffixes}
    return names


def test_every_alert_has_a_promtool_test_that_fires_it():
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    tested = yaml.safe_load((REPO / "deploy/prometheus/tests/alerts_test.yml").read_text())
    fired = {
        case["alertname"]
        for test in tested["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert len(alerts) >= 10
    assert alerts == fired


def test_rules_and_dashboard_query_only_metrics_we_export(db, client):
    client.get("/healthz")  # django-prometheus creates its request metrics with the handler
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    queries = [rule["expr"] for rule in _rules()]
    board = json.loads((REPO / "deploy/grafana/cs-platform.json").read_text())
    queries += [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    used = {name for query in queries for name in METRIC.findall(query)}
    exported = _exported_names()
    assert {"cs_tool_calls_total", "cs_sync_lag_seconds", "cs_audit_chain_ok"} <= used
    assert sorted(used - exported - recorded) == []
