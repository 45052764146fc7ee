"""Faults survived by the running topology, and the load it carries.

- 32 clients (REST and MCP) for 60 s: no 5xx, no transport failure; p95 recorded.
- Redis restarted under load: reads keep answering (cache errors become misses), the
  workers reconnect and the tasks queued across the restart run.
- PostgreSQL restarted under load: while it is down every request fails fast with a 503
  in the API's error shape, no gunicorn worker hangs or restarts, and requests succeed
  again within seconds of its return, without restarting the app.
- Provider fault storms (429 waves, 5xx bursts, slow responses, dropped connections):
  the breaker opens and closes, the sync finishes later, and the stored tickets are
  exactly the provider's.

Figures go to ``OPERATIONS_RESULTS`` (JSON) and docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from celery import Celery

from integrations.tests.sync_support import matched_org_ids
from tests.operations.fixtures import ACCOUNTS, LOAD_CLIENTS, Stack, sample
from tests.operations.load import LoadResult, run_load
from tests.operations.topology import wait_for

pytestmark = pytest.mark.operations

LOAD_SECONDS = float(os.environ.get("OPERATIONS_LOAD_SECONDS", "60"))
MCP_CLIENTS = 8
FAULT_CLIENTS = 8
RESULTS: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def _results_file():
    yield
    path = os.environ.get("OPERATIONS_RESULTS")
    if path and RESULTS:
        previous = json.loads(Path(path).read_text()) if Path(path).exists() else {}
        Path(path).write_text(json.dumps({**previous, **RESULTS}, indent=2) + "\n")


def _load_in_background(
    stack: Stack, seconds: float, clients: int
) -> tuple[threading.Thread, list]:
    box: list[LoadResult] = []
    thread = threading.Thread(
        target=lambda: box.append(
            run_load(stack.web_url, stack.tokens, clients=clients, mcp_clients=2,
                     seconds=seconds, accounts=ACCOUNTS)
        ),
        daemon=True,
    )  # fmt: skip
    thread.start()
    return thread, box


def _gunicorn_workers(stack: Stack) -> set[int]:
    master = stack.processes["web"].popen.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def _finished(db, run_id: int) -> tuple:
    return wait_for(
        lambda: db.execute(
            "SELECT id, status, error_code FROM integrations_syncrun WHERE id = %s"
            " AND status NOT IN ('queued', 'running')", [run_id],
        ).fetchone(),
        45, f"sync run {run_id}",
    )  # fmt: skip


def test_32_clients_for_60_seconds_get_no_5xx(stack: Stack):
    result = run_load(stack.web_url, stack.tokens, clients=LOAD_CLIENTS, mcp_clients=MCP_CLIENTS,
                      seconds=LOAD_SECONDS, accounts=ACCOUNTS)  # fmt: skip
    RESULTS["load"] = {"clients": LOAD_CLIENTS, "mcp_clients": MCP_CLIENTS, **result.summary()}
    assert result.count(500, 599) == 0, result.summary()
    assert not result.failures, result.summary()
    assert result.count(200, 299) == len(result.latencies) > 100


def test_redis_restart_under_load_keeps_reads_answering_and_queued_tasks_run(stack: Stack):
    web_before = stack.scrape_web()
    main_before = stack.scrape_worker("main")
    thread, box = _load_in_background(stack, 16, FAULT_CLIENTS)
    time.sleep(4)
    # Tasks queued right before the restart, some still waiting when Redis goes down
    # (sent straight to the broker: a management command would take seconds to start).
    queued = 40
    with Celery(broker=stack.redis.url) as sender:
        for _ in range(queued):
            sender.send_task("audit.verify_chain", queue="default")
    down_at = time.monotonic()
    stack.redis.stop()
    time.sleep(3)
    stack.redis.start()
    restarted_in = time.monotonic() - down_at
    thread.join(timeout=60)
    (result,) = box
    RESULTS["redis_restart"] = {"down_seconds": round(restarted_in, 1), **result.summary()}
    assert result.count(500, 599) == 0, result.summary()
    assert result.count(200, 299) == len(result.latencies)

    # The queued tasks ran on the reconnected worker (at least once each: acks_late).
    def ran() -> float:
        now = stack.scrape_worker("main")
        return sample(now, "cs_celery_tasks_total", task="audit.verify_chain") - sample(
            main_before, "cs_celery_tasks_total", task="audit.verify_chain"
        )

    broker = redis.Redis.from_url(stack.redis.url)

    def waiting() -> int:
        return broker.llen("default") + broker.hlen("unacked")

    def settled() -> bool:
        if ran() >= queued:
            return True
        # Short of the count, done only when Redis neither queues nor holds a message
        # (twice, a second apart: one may be between the two in a worker's hands).
        if waiting():
            return False
        time.sleep(1)
        return not waiting()

    wait_for(settled, 60, "the tasks queued across the restart to run")
    missing = max(0, queued - int(ran()))
    RESULTS["redis_restart"]["tasks_lost"] = missing
    # None waits in Redis for the visibility timeout (the worker put back what it held).
    # One can be lost: kombu's Redis transport takes a message off its queue before it
    # records it as held, and a reply Redis sent as it stopped can die with the
    # connection (RELIABILITY.md, "What is not covered").
    assert missing <= 1, f"{missing} of {queued} tasks never ran; {waiting()} in Redis"
    # The cache failed while Redis was away and the reads went to the database instead.
    web_after = stack.scrape_web()
    assert sample(web_after, "django_cache_get_fail_total") > sample(
        web_before, "django_cache_get_fail_total"
    )
    # New work reaches the workers through the restarted broker.
    response = stack.tool("trigger_sync", {"connection_id": stack.connections["mixpanel"]})
    assert response.status_code == 200, response.text
    run_id = response.json()["run"]["id"]
    db = stack.db()
    status = wait_for(
        lambda: db.execute(
            "SELECT status FROM integrations_syncrun WHERE id = %s AND status IN "
            "('succeeded', 'partial', 'failed')", [run_id]
        ).fetchone(),
        90, "a sync queued after the restart",
    )  # fmt: skip
    db.close()
    assert status == ("succeeded",)


def test_postgres_restart_under_load_fails_fast_and_recovers_without_restarts(stack: Stack):
    workers_before = _gunicorn_workers(stack)
    assert len(workers_before) == 2
    thread, box = _load_in_background(stack, 24, FAULT_CLIENTS)
    time.sleep(4)
    stack.postgres.stop("fast")
    down_at = time.monotonic()
    time.sleep(1)
    probe_started = time.monotonic()
    during = stack.http("GET", "/api/v1/accounts/1/")
    probe_seconds = time.monotonic() - probe_started
    time.sleep(max(0.0, 8 - (time.monotonic() - down_at)))
    stack.postgres.start()
    up_at = time.monotonic()
    thread.join(timeout=90)
    (result,) = box
    outage = [(t, s, d) for t, s, d in result.timeline if s == 503]
    # The API's error shape, retryable, within the pool's wait for a connection.
    assert during.status_code == 503, during.text
    assert during.json()["code"] == "unavailable" and during.json()["retryable"] is True
    assert during.headers["Retry-After"] and probe_seconds < 8
    # Answers are stamped when they arrived: the last 503 tells when service came back.
    back_at = up_at - result.started_at
    last_503 = max((t for t, status, _ in result.timeline if status == 503), default=0.0)
    first_ok = min((t for t, status, _ in result.timeline if status == 200 and t > back_at),
                   default=float("inf"))  # fmt: skip
    slowest_503 = max((d for _, _, d in outage), default=0.0)
    RESULTS["postgres_restart"] = {
        "down_seconds": round(up_at - down_at, 1),
        "responses_503": len(outage),
        "slowest_503_ms": round(slowest_503 * 1000),
        "probe_503_ms": round(probe_seconds * 1000),
        "first_200_seconds_after_start": round(first_ok - back_at, 1),
        "last_503_seconds_after_start": round(last_503 - back_at, 1),
        **result.summary(),
    }
    # 202: MCP notifications. Never a 500, a 502 or a hang.
    assert set(result.statuses) <= {200, 202, 503}, result.summary()
    assert outage, "no request saw the outage"
    # Only a process's first request of the outage waits DB_POOL_TIMEOUT (5 s) for a
    # connection; the rest are refused at once. 3 s of margin for a loaded host.
    assert slowest_503 < 8, RESULTS["postgres_restart"]
    # An MCP session that meets a 503 ends (the client raises): those are the only
    # failures, and never more than the 503s; REST clients see no reset or timeout.
    assert all(kind.startswith("mcp:") for kind in result.failures), result.summary()
    assert sum(result.failures.values()) <= len(outage)
    assert first_ok - back_at < 5 and last_503 - back_at < 10, RESULTS["postgres_restart"]
    assert stack.http("GET", "/api/v1/accounts/1/").status_code == 200
    assert _gunicorn_workers(stack) == workers_before  # no worker was killed or restarted
    assert "WORKER TIMEOUT" not in stack.processes["web"].tail(200_000)
    assert all(p.alive() for p in stack.processes.values())


def test_provider_storm_opens_and_closes_the_breaker_and_the_sync_ends_with_the_source(
    stack: Stack,
):
    zendesk = stack.connections["zendesk"]
    sandbox = stack.sandbox
    sync_before = stack.scrape_worker("sync")
    # The source changes while the storm rages: new tickets and updated ones.
    sandbox.zendesk_add(25)
    sandbox.zendesk_touch(40)
    # One fault at a time, each met by a sync; between them the breaker's reset timeout
    # (3 s here) passes, so each wave reaches the provider through a half-open trial.
    storm = [
        ("429", {"count": 6, "retry_after": 0.2}),
        ("slow", {"count": 6, "delay": 3.0}),
        ("drop", {"count": 8}),
        ("500", {"count": 12}),
        ("503", {"count": 8}),
    ]
    opened = False
    runs: list[tuple] = []
    db = stack.db()
    started = time.monotonic()
    for mode, options in storm:
        sandbox.set_fault("zendesk", mode, **options)
        response = stack.tool("trigger_sync", {"connection_id": zendesk, "stream": "tickets"})
        assert response.status_code == 200, response.text
        run_id = response.json()["run"]["id"]
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            web = stack.scrape_web()
            if sample(web, "cs_provider_breaker_state", provider="zendesk", state="open") == 1:
                opened = True
            row = db.execute(
                "SELECT id, status, error_code FROM integrations_syncrun WHERE id = %s"
                " AND status NOT IN ('queued', 'running')", [run_id],
            ).fetchone()  # fmt: skip
            if row:
                runs.append(row)
                break
            time.sleep(0.3)
        if mode == "500":
            # While it is open the breaker refuses calls without sending them.
            refused = stack.tool("trigger_sync", {"connection_id": zendesk, "stream": "tickets"})
            runs.append(_finished(db, refused.json()["run"]["id"]))
        time.sleep(3.5)  # the breaker's reset timeout
    sandbox.reset_faults()
    # Until the source is quiet: run again (as the schedule would) until a run succeeds.
    final = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = stack.tool("trigger_sync", {"connection_id": zendesk, "stream": "tickets"})
        final = _finished(db, response.json()["run"]["id"])[1:]
        if final[0] == "succeeded":
            break
        time.sleep(1)
    assert final is not None and final[0] == "succeeded", (final, runs)
    web = stack.scrape_web()
    assert sample(web, "cs_provider_breaker_state", provider="zendesk", state="closed") == 1
    sync_after = stack.scrape_worker("sync")

    def grew(outcome: str) -> float:
        return sample(
            sync_after, "cs_provider_calls_total", provider="zendesk", outcome=outcome
        ) - (sample(sync_before, "cs_provider_calls_total", provider="zendesk", outcome=outcome))

    # Exactly the provider's tickets: none lost, none doubled, every update applied.
    source = requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=30).json()["tickets"]
    stored = dict(
        db.execute(
            "SELECT external_id, to_char(source_updated_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM integrations_supportticket "
            "WHERE connection_id = %s", [zendesk],
        ).fetchall()
    )  # fmt: skip
    # The sandbox also serves tickets of organisations outside the portfolio (never stored).
    portfolio = matched_org_ids(range(1, ACCOUNTS + 1))
    expected = {str(t["id"]): t["updated_at"] for t in source if t["organization_id"] in portfolio}
    db.close()
    RESULTS["provider_storm"] = {
        "storm": [mode for mode, _ in storm],
        "runs_during_storm": [{"status": r[1], "error_code": r[2]} for r in runs],
        "breaker_opened": opened,
        "attempts_by_outcome": {
            o: grew(o)
            for o in (
                "success",
                "rate_limited",
                "server_error",
                "timeout",
                "connection_error",
                "breaker_open",
            )
        },  # fmt: skip
        "seconds_to_consistent": round(time.monotonic() - started, 1),
        "tickets": len(stored),
    }
    assert opened, RESULTS["provider_storm"]
    assert grew("breaker_open") > 0 and grew("rate_limited") > 0 and grew("server_error") > 0
    assert grew("timeout") > 0 and grew("connection_error") > 0
    assert len(stored) == len(expected) > ACCOUNTS
    assert stored == expected
