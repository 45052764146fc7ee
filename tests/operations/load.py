"""A bounded, closed-loop load of REST and MCP clients (the official MCP client), on one
asyncio loop. Each client sends its next request when the previous one answered, until
the deadline; every HTTP response's status is recorded (MCP's too, through an httpx hook)
with its latency, and every transport failure (timeout, reset) separately."""

from __future__ import annotations

import asyncio
import logging
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

REQUEST_TIMEOUT = 30.0
logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise


@dataclass
class LoadResult:
    seconds: float = 0.0
    started_at: float = 0.0  # time.monotonic() when the load began
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, per answered call
    failures: Counter = field(default_factory=Counter)  # transport errors by type
    # (seconds since start when answered, status, latency in seconds)
    timeline: list[tuple[float, int, float]] = field(default_factory=list)

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status <= high)

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        answered = len(self.latencies)
        return {
            "seconds": round(self.seconds, 1),
            "requests": answered,
            "per_second": round(answered / self.seconds, 1) if self.seconds else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "transport_failures": dict(self.failures),
            "p50_ms": round(self.quantile(0.50) * 1000, 1),
            "p95_ms": round(self.quantile(0.95) * 1000, 1),
            "p99_ms": round(self.quantile(0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if answered else None,
        }


def _rest_request(rng: random.Random, accounts: int) -> tuple[str, str, dict | None]:
    account = rng.randint(1, accounts)
    return rng.choice(
        [
            ("POST", "/api/v1/tools/get_client_overview/", {"account_id": account}),
            ("POST", "/api/v1/tools/get_client_overview/", {"account_id": account}),
            ("POST", "/api/v1/tools/list_clients/", {"limit": 20}),
            ("GET", f"/api/v1/accounts/{account}/", None),
            ("GET", "/api/v1/accounts/?limit=20", None),
        ]
    )


class _Recorder:
    def __init__(self, result: LoadResult, started: float) -> None:
        self.result = result
        self.started = started

    def answered(self, status: int, seconds: float) -> None:
        self.result.statuses[status] += 1
        self.result.latencies.append(seconds)
        self.result.timeline.append((time.monotonic() - self.started, status, seconds))


async def _rest_client(url: str, token: str, seed: int, until: float, accounts: int,
                       rec: _Recorder) -> None:  # fmt: skip
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT) as http:
        while time.monotonic() < until:
            method, path, body = _rest_request(rng, accounts)
            started = time.monotonic()
            try:
                response = await http.request(method, path, json=body)
            except httpx.HTTPError as exc:
                rec.result.failures[type(exc).__name__] += 1
                await asyncio.sleep(0.2)
                continue
            rec.answered(response.status_code, time.monotonic() - started)


async def _mcp_client(url: str, token: str, seed: int, until: float, accounts: int,
                      rec: _Recorder) -> None:  # fmt: skip
    """One MCP session per client, as an agent keeps one; re-opened after a failure."""
    rng = random.Random(seed)
    statuses: list[int] = []

    async def on_response(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < until:
        try:
            async with httpx.AsyncClient(
                headers=headers, timeout=REQUEST_TIMEOUT, event_hooks={"response": [on_response]}
            ) as http:
                async with streamable_http_client(f"{url}/mcp", http_client=http) as (r, w, _):
                    async with ClientSession(r, w) as session:
                        await session.initialize()
                        statuses.clear()
                        while time.monotonic() < until:
                            account = rng.randint(1, accounts)
                            name, args = rng.choice(
                                [
                                    ("get_client_overview", {"account_id": account}),
                                    ("list_clients", {"limit": 10}),
                                ]
                            )
                            started = time.monotonic()
                            await session.call_tool(name, args)
                            elapsed = time.monotonic() - started
                            for status in statuses:
                                rec.answered(status, elapsed)
                            statuses.clear()
        except Exception as exc:  # a 5xx or a reset ends the session: counted, then reopened
            for status in statuses:
                rec.answered(status, 0.0)
            statuses.clear()
            rec.result.failures[f"mcp:{type(exc).__name__}"] += 1
            await asyncio.sleep(0.2)


async def _run(url: str, tokens: list[str], clients: int, mcp_clients: int, seconds: float,
               accounts: int) -> LoadResult:  # fmt: skip
    started = time.monotonic()
    result = LoadResult(started_at=started)
    until = started + seconds
    rec = _Recorder(result, started)
    tasks = []
    for n in range(clients):
        token = tokens[n % len(tokens)]
        runner = _mcp_client if n < mcp_clients else _rest_client
        tasks.append(runner(url, token, 1000 + n, until, accounts, rec))
    await asyncio.gather(*tasks)
    result.seconds = time.monotonic() - started
    return result


def run_load(url: str, tokens: list[str], *, clients: int, mcp_clients: int, seconds: float,
             accounts: int) -> LoadResult:  # fmt: skip
    return asyncio.run(_run(url, tokens, clients, mcp_clients, seconds, accounts))
