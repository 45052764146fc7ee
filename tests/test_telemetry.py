"""The telemetry pieces in one process: bounded metric labels, the scrape endpoint and its
token, request ids and the 503 for a database outage, log scrubbing, the tracing switch
and the database's fail-fast gate. (Across real processes: tests/operations.)"""

from __future__ import annotations

import json
import logging

import psycopg
import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from cs_platform.core.database.base import OutageGate
from cs_platform.core.telemetry import logs
from cs_platform.core.telemetry.middleware import RequestContextMiddleware
from cs_platform.core.telemetry.tracing import tracing_requested
from cs_platform.core.tools import UNREGISTERED_TOOL, invoke_tool, tool_metric_label


def _samples(text: str, name: str) -> dict[tuple, float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def test_tool_label_is_a_registered_name_or_one_fixed_value():
    assert tool_metric_label("get_client_overview") == "get_client_overview"
    for invented in ("x" * 300, "drop table", "get_client_overview2", ""):
        assert tool_metric_label(invented) == UNREGISTERED_TOOL


def test_calls_to_invented_tools_share_one_series(db, actors, settings):
    from cs_platform.core.telemetry.metrics import exposition

    for name in ("made_up_one", "made_up_two", "made_up_three"):
        with pytest.raises(Exception):
            invoke_tool(name, actors["manager"], {})
    text = exposition(with_scrape_collectors=False).decode()
    tools = {dict(k)["tool"] for k in _samples(text, "cs_tool_calls_total")}
    assert UNREGISTERED_TOOL in tools
    assert not {"made_up_one", "made_up_two", "made_up_three"} & tools


def test_metrics_token_is_checked_without_the_database(
    db, client, settings, django_assert_num_queries
):
    settings.METRICS_BEARER_TOKEN = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    with django_assert_num_queries(0):
        # Only the scrape collectors would touch the database; none runs here.
        from cs_platform.core.telemetry import metrics

        saved = dict(metrics._scrape_collectors)
        metrics._scrape_collectors.clear()
        try:
            ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
        finally:
            metrics._scrape_collectors.update(saved)
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain")


def test_a_failing_scrape_collector_is_reported_not_fatal(db):
    from cs_platform.core.telemetry import metrics

    def broken():
        raise OperationalError("database is away")

    metrics.scrape_collector_register("broken_for_test", broken)
    try:
        text = metrics.exposition(with_scrape_collectors=True).decode()
    finally:
        metrics._scrape_collectors.pop("broken_for_test")
    up = _samples(text, "cs_scrape_collector_up")
    assert up[(("collector", "broken_for_test"),)] == 0
    assert up[(("collector", "gdpr_requests"),)] == 1


def test_request_id_is_taken_when_sane_and_made_otherwise():
    seen = {}

    def view(request):
        seen["context"] = logs.log_context()
        return HttpResponse("ok")

    middleware = RequestContextMiddleware(view)
    factory = RequestFactory()
    kept = middleware(factory.get("/x", HTTP_X_REQUEST_ID="abc-123_XYZ.9"))
    assert kept["X-Request-ID"] == "abc-123_XYZ.9"
    assert seen["context"]["request_id"] == "abc-123_XYZ.9"
    for hostile in ("short", "a" * 65, "bad id with spaces", "x\nInjected: 1"):
        made = middleware(factory.get("/x", HTTP_X_REQUEST_ID=hostile))
        assert made["X-Request-ID"] != hostile and len(made["X-Request-ID"]) == 32
    assert logs.log_context() == {}  # nothing leaks into the next request


def test_a_database_outage_outside_the_api_is_a_503_in_the_error_shape():
    middleware = RequestContextMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/admin/")
    outage = OperationalError("connection refused")
    outage.__cause__ = psycopg.OperationalError("connection refused")
    response = middleware.process_exception(request, outage)
    assert response.status_code == 503 and response["Retry-After"] == "2"
    body = json.loads(response.content)
    assert body["code"] == "unavailable" and body["retryable"] is True
    assert middleware.process_exception(request, ValueError("a bug")) is None


def test_json_lines_carry_context_and_never_an_email_or_token(capsys):
    record = logging.LogRecord("cs.test", logging.ERROR, __file__, 1,
                               "lookup of %s failed with %s", None, None)  # fmt: skip
    record.args = ("jane.doe@example.com", "Bearer eyJhbGciOi.payload.sig")
    with logs.log_context_bound(request_id="r-0001", actor_id=7, tool="get_client_overview"):
        line = logs.JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "lookup of [email] failed with Bearer [credential]"
    assert (data["request_id"], data["actor_id"], data["tool"]) == (
        "r-0001",
        7,
        "get_client_overview",
    )
    assert data["level"] == "ERROR" and data["logger"] == "cs.test" and "time" in data
    assert "csp_" not in logs.scrub("token csp_0a1b2c3d_abc") and "[token]" in logs.scrub("csp_x")


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "cs"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
    ],
)
def test_tracing_is_off_unless_the_standard_variables_ask_for_it(environ, on):
    assert tracing_requested(environ) is on


def test_the_outage_gate_refuses_at_once_within_its_window_only(monkeypatch):
    import cs_platform.core.database.base as base

    now = [100.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: now[0])
    gate = OutageGate()
    gate.check(2.0)  # never failed: open
    gate.record(ok=False)
    with pytest.raises(psycopg.OperationalError, match="failed 0.5s ago"):
        now[0] = 100.5
        gate.check(2.0)
    now[0] = 102.5
    gate.check(2.0)  # the window has passed: try again
    gate.record(ok=True)
    assert gate.open


def test_tracing_starts_in_the_process_that_runs_tasks():
    from celery.concurrency.prefork import TaskPool
    from celery.concurrency.solo import TaskPool as SoloPool

    from cs_platform.core.telemetry.celery import _pool_forks

    # Prefork children start it after the fork; a solo or threads pool runs tasks in the
    # worker's main process, which starts it itself.
    assert _pool_forks("prefork") and _pool_forks(TaskPool) and _pool_forks(None)
    assert not _pool_forks("solo") and not _pool_forks("threads") and not _pool_forks(SoloPool)
