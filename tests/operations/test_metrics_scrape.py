"""Metrics that move, scraped as Prometheus would: tool calls served by two gunicorn
workers, a provider sync on one Celery worker, a recompute fanned out to another, and the
state the web processes read at scrape time (sync lag, breakers, queues, GDPR, audit)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from prometheus_client import multiprocess

from tests.operations.fixtures import ACCOUNTS, Stack, families, sample
from tests.operations.topology import wait_for

pytestmark = pytest.mark.operations

REST_CALLS = 40
MCP_CALLS = 6


def _per_process_tool_calls(metrics_dir: str) -> dict[int, float]:
    """cs_tool_calls_total as each gunicorn worker wrote it (one file per process)."""
    per_pid: dict[int, float] = {}
    for path in Path(metrics_dir).glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for metric in multiprocess.MultiProcessCollector.merge([str(path)], accumulate=False):
            for s in metric.samples:
                if s.name == "cs_tool_calls_total" and s.labels.get("channel") == "rest":
                    per_pid[pid] = per_pid.get(pid, 0.0) + s.value
    return per_pid


async def _mcp_calls(url: str, token: str, account_ids: list[int]) -> list[bool]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                results = [
                    await session.call_tool("get_client_overview", {"account_id": pk})
                    for pk in account_ids
                ]
    return [not r.isError for r in results]


def test_every_metric_family_moves_across_web_workers_celery_and_scrape_collectors(
    stack: Stack,
):
    # --- tool calls, concurrently, so both gunicorn workers serve some ---------------
    before = stack.scrape_web()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda n: (
                    stack.tool(
                        "get_client_overview", {"account_id": 1 + n % ACCOUNTS}, stack.tokens[n % 8]
                    ).status_code
                ),
                range(REST_CALLS),
            )
        )
    assert statuses == [200] * REST_CALLS
    assert stack.tool("get_client_overview", {"account_id": 10**9}).status_code == 404
    ok = asyncio.run(_mcp_calls(f"{stack.web_url}/mcp", stack.tokens[9], list(range(1, 7))))
    assert ok == [True] * MCP_CALLS

    web_dir = os.path.join(stack.app.root, "metrics-web")
    per_pid = _per_process_tool_calls(web_dir)
    # Each worker writes its own file; at least two processes served these calls.
    assert len([pid for pid, n in per_pid.items() if n > 0]) >= 2, per_pid

    web = stack.scrape_web()
    calls = "cs_tool_calls_total"
    overview = {"tool": "get_client_overview"}

    def delta(name: str, **labels: str) -> float:
        return sample(web, name, **labels) - sample(before, name, **labels)

    # One scrape of one worker sees the sum over both workers (multiprocess mode).
    assert delta(calls, **overview, channel="rest", outcome="ok") == REST_CALLS
    assert delta(calls, **overview, channel="rest", outcome="not_found") == 1
    assert delta(calls, **overview, channel="mcp", outcome="ok") == MCP_CALLS
    assert delta("cs_tool_call_seconds_count", **overview, channel="rest") == REST_CALLS + 1
    assert delta("cs_tool_call_seconds_bucket", **overview, channel="rest", le="+Inf") == 41
    # django-prometheus: requests by view, database queries, cache reads (the throttle).
    assert delta("django_http_requests_total_by_view_transport_method_total", method="POST") >= 41
    assert delta("django_http_responses_total_by_status_total", status="200") >= REST_CALLS
    assert delta("django_db_execute_total", vendor="postgresql") > REST_CALLS
    assert delta("django_cache_get_total", backend="redis") >= REST_CALLS

    # --- a sync on the integrations worker ------------------------------------------
    zendesk = stack.connections["zendesk"]
    sync_before = stack.scrape_worker("sync")
    stack.sandbox.reset_stats()
    # From the start (the other operations tests may have synced it already).
    response = stack.tool(
        "trigger_sync", {"connection_id": zendesk, "stream": "tickets", "full_resync": True}
    )
    assert response.status_code == 200, response.text
    run_id = response.json()["run"]["id"]
    db = stack.db()

    def finished_run():
        return db.execute(
            "SELECT status, created, fetched FROM integrations_syncrun WHERE id = %s "
            "AND status NOT IN ('queued', 'running')",
            [run_id],
        ).fetchone()

    status, created, fetched = wait_for(finished_run, 60, "the zendesk sync")
    assert status == "succeeded" and fetched > 0
    sync = stack.scrape_worker("sync")
    assert sample(sync, "cs_celery_tasks_total", task="integrations.sync_connection",
                  outcome="success") >= 1  # fmt: skip
    assert sample(sync, "cs_celery_task_seconds_count", task="integrations.sync_connection") >= 1
    assert sample(sync, "cs_sync_runs_total", provider="zendesk", status="succeeded") >= 1
    assert sample(sync, "cs_sync_records_total", provider="zendesk", kind="fetched") >= fetched

    # Every attempt is counted and timed: exactly the requests the provider received.
    def grew(name: str, **labels: str) -> float:
        return sample(sync, name, **labels) - sample(sync_before, name, **labels)

    sent = grew("cs_provider_calls_total", provider="zendesk", outcome="success")
    assert sent == stack.sandbox.requests_to("zendesk") > 0
    assert grew("cs_provider_call_seconds_count", provider="zendesk") == sent

    # --- a recompute, fanned out to the health worker -------------------------------
    stack.app.manage("recompute_health", "--all", "--enqueue", env=stack.app.production())
    main = wait_for(
        lambda: (
            (m := stack.scrape_worker("main"))
            and sample(m, "cs_health_accounts_scored_total") >= ACCOUNTS
            and m
        ),
        90,
        "the recompute chunks",
    )
    assert sample(main, "cs_health_accounts_scored_total") == ACCOUNTS
    assert sample(main, "cs_health_recompute_chunk_seconds_count") >= 1
    assert sample(main, "cs_celery_tasks_total", task="health.recompute_chunk",
                  outcome="success") >= 1  # fmt: skip

    # --- state read at scrape time ------------------------------------------------------
    db.execute(
        "INSERT INTO gdpr_datasubjectrequest (kind, subject_email, status, requested_at, due_at,"
        " result) VALUES ('erasure', 'someone@example.invalid', 'received',"
        " now() - interval '40 days', now() - interval '9 days', '{}')"
    )
    stack.app.manage("verify_audit_chain", env=stack.app.production())
    web = stack.scrape_web()
    conn = {"connection": str(zendesk), "provider": "zendesk"}
    assert sample(web, "cs_sync_last_success_timestamp_seconds", **conn) > 0
    assert 0 <= sample(web, "cs_sync_lag_seconds", **conn) < 120
    assert sample(web, "cs_sync_interval_seconds", **conn) == 15 * 60
    # Every enabled connection is reported, labelled by id (beat may have synced others).
    reported = {dict(k)["connection"] for k in web["cs_sync_lag_seconds"]}
    assert reported == {str(pk) for pk in stack.connections.values()}
    for provider in ("zendesk", "intercom", "mixpanel", "sendgrid"):
        assert sample(web, "cs_provider_breaker_state", provider=provider, state="closed") == 1
    assert ("queue", "integrations") in {k[0] for k in web["cs_celery_queue_length"]}
    # The demo seeds requests of its own: the gauges must equal the table's counts, which
    # include the overdue one inserted above.
    open_erasures, overdue_erasures = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE due_at < now()) FROM gdpr_datasubjectrequest"
        " WHERE kind = 'erasure' AND status = 'received'"
    ).fetchone()
    assert overdue_erasures >= 1
    assert sample(web, "cs_gdpr_requests_overdue", kind="erasure") == overdue_erasures
    assert sample(web, "cs_gdpr_requests_open", kind="erasure") == open_erasures
    assert sample(web, "cs_audit_chain_ok") == 1
    assert sample(web, "cs_audit_chain_events_checked") > 0
    assert sample(web, "cs_health_latest_as_of_timestamp_seconds") > 0
    for collector in ("sync_state", "breakers", "celery_queues", "gdpr_requests",
                      "audit_chain", "health_recompute"):  # fmt: skip
        assert sample(web, "cs_scrape_collector_up", collector=collector) == 1, collector
    db.close()


def test_exposition_parses_and_needs_the_scraper_token(stack: Stack):
    import requests

    url = f"{stack.web_url}/metrics"
    assert requests.get(url, timeout=10).status_code == 401
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    assert families(
        requests.get(
            url, headers={"Authorization": f"Bearer {stack.app.metrics_token}"}, timeout=10
        ).text
    )
