"""One trace from a REST request to the provider: Django's request span, its SQL, the
Celery task it queued (publish and run), the task's SQL and its HTTP calls to the
provider, all with the request's trace id; and log lines carrying that trace id.

Tracing is process-wide state, so this runs in a process of its own: the Django handler
(through the test client) and a Celery worker thread, exporting to an in-memory exporter,
against the topology's database, Redis (under a key prefix of its own, so the topology's
workers never take its task) and sandbox providers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.operations.fixtures import Stack
from tests.operations.topology import REPO

pytestmark = pytest.mark.operations

SCRIPT = r"""
import json, time
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from cs_platform.core.telemetry.tracing import tracing_configure, tracing_requested

assert not tracing_requested(), "tracing must be off without OTEL_* variables"
exporter = InMemorySpanExporter()
tracing_configure(exporter=exporter, default_service="cs-platform-trace-test")

import django
django.setup()
from celery.contrib.testing.worker import start_worker
from django.test import Client
from cs_platform.celery import app
from integrations.models import SyncRun

app.conf.task_always_eager = False
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}), "global_keyprefix": "trace-test:"}
with start_worker(app, pool="solo", queues=["integrations"], perform_ping_check=False,
                  loglevel="INFO", shutdown_timeout=30):
    response = Client(HTTP_HOST="127.0.0.1").post(
        "/api/v1/tools/trigger_sync/",
        data=json.dumps({"connection_id": CONNECTION, "stream": "organizations"}),
        content_type="application/json", HTTP_AUTHORIZATION="Bearer TOKEN")
    assert response.status_code == 200, response.content
    run_id = response.json()["run"]["id"]
    deadline = time.monotonic() + 60
    while SyncRun.objects.get(pk=run_id).status in ("queued", "running"):
        assert time.monotonic() < deadline, "the sync did not finish"
        time.sleep(0.2)
    status = SyncRun.objects.get(pk=run_id).status
spans = [
    {"name": s.name, "kind": s.kind.name, "trace": format(s.context.trace_id, "032x"),
     "id": s.context.span_id, "parent": s.parent.span_id if s.parent else None,
     "scope": s.instrumentation_scope.name,
     "attributes": {k: str(v) for k, v in (s.attributes or {}).items()}}
    for s in exporter.get_finished_spans()
]
print(json.dumps({"status": status, "spans": spans}))
"""


def test_one_trace_spans_the_request_its_sql_the_task_and_the_provider_calls(stack: Stack):
    script = SCRIPT.replace("CONNECTION", str(stack.connections["zendesk"])).replace(
        "TOKEN", stack.token
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=stack.app.production(),
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == "succeeded"
    spans = found["spans"]
    by_id = {s["id"]: s for s in spans}
    (request,) = [s for s in spans if s["kind"] == "SERVER" and "django" in s["scope"]]
    trace = request["trace"]

    def ancestors(span: dict) -> list[dict]:
        chain = []
        while span["parent"] in by_id:
            span = by_id[span["parent"]]
            chain.append(span)
        return chain

    in_trace = [s for s in spans if s["trace"] == trace]
    publish = [s for s in in_trace if s["kind"] == "PRODUCER" and "celery" in s["scope"]]
    run = [s for s in in_trace if s["kind"] == "CONSUMER" and "celery" in s["scope"]]
    assert publish and run, [(s["name"], s["kind"]) for s in in_trace]
    assert run[0]["attributes"].get("celery.task_name") == "integrations.sync_connection"
    sql = [s for s in in_trace if "psycopg" in s["scope"]]
    assert any(request in ancestors(s) for s in sql), "the request's own SQL"
    assert any(run[0] in ancestors(s) for s in sql), "the task's SQL"
    http = [s for s in in_trace if s["kind"] == "CLIENT" and "requests" in s["scope"]]
    assert http and all(run[0] in ancestors(s) for s in http)
    assert all("/zendesk/" in s["attributes"].get("url.full", s["attributes"].get("http.url", ""))
               for s in http)  # fmt: skip
    # Bound parameters are never recorded; statements are templates.
    assert not any("db.statement.parameters" in s["attributes"] for s in sql)
    # The process logs JSON to stderr; the lines written inside the trace carry its id,
    # in the request and in the task.
    logs = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    traced = [line for line in logs if line.get("trace_id") == trace]
    assert any(line.get("event") == "tool_call" for line in traced), logs[-5:]
    assert any(line.get("task") == "integrations.sync_connection" for line in traced), logs[-5:]
