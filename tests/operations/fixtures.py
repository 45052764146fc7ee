"""The ``stack`` fixture: the production topology on loopback, started once per session
for the operations tests (``make test-operations``; they are marked ``operations`` and left out
of ``make test``). See ``topology.py`` for what runs and why it harms nothing else."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from integrations.sandbox.control import SandboxControl
from tests.operations.topology import (
    AppEnv,
    PostgresServer,
    Process,
    RedisServer,
    free_port,
    wait_for,
)

ACCOUNTS = 300
LOAD_CLIENTS = 32
HTTP_TIMEOUT = (3.05, 30)
# Production defaults, except where a test needs to see a fault through in seconds: a
# breaker retries after 3 s (not 60), a provider reply is awaited 2 s (not 15), so a
# "slow" fault is a timeout. The per-token rate limit is lifted: the load and fault tests
# measure what the stack serves (8-32 closed-loop clients, ~25 req/s per token, one
# 60-second window spanning several tests), not the throttle, which tests/api covers.
SETTINGS = {
    "PROVIDER_BREAKER_RESET_TIMEOUT": "3",
    "HTTP_READ_TIMEOUT": "2",
    "API_THROTTLE_RATE": "100000000/min",
}

# Run once through the base settings (demo-only commands): the demo portfolio, an
# operator with a token per load client, and one connection per sandbox provider whose
# retries are quick enough for a test (a real one keeps the defaults).
SETUP = """
import json
from django.contrib.auth import get_user_model
from django.core.management import call_command
from cs_platform.core.models import StaffProfile
from cs_platform.core.tokens import api_token_create
from integrations.models import Connection

call_command("seed_demo", accounts={accounts}, seed=42, verbosity=0)
user = get_user_model().objects.create_superuser("operator", password=None)
tokens = [api_token_create(username="operator", scopes=["read", "write"], name=f"client-{{n}}")[1]
          for n in range({clients})]
call_command("connect_sandbox", url="{sandbox}", user="operator", verbosity=0)
for conn in Connection.objects.all():
    conn.settings = {{**conn.settings, "retry_base_delay": 0.05, "retry_max_delay": 1.0,
                     "page_size": 50}}
    conn.save(update_fields=["settings"])
print(json.dumps({{"tokens": tokens, "connections": dict(
    Connection.objects.values_list("provider", "pk"))}}))
"""


@dataclass
class Stack:
    root: Path
    postgres: PostgresServer
    redis: RedisServer
    app: AppEnv
    web_url: str
    sandbox: SandboxControl
    tokens: list[str]
    connections: dict[str, int]
    processes: dict[str, Process] = field(default_factory=dict)
    worker_metrics: dict[str, int] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return self.tokens[0]

    def http(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", **kw.pop("headers", {})}
        return requests.request(
            method, f"{self.web_url}{path}", headers=headers, timeout=HTTP_TIMEOUT, **kw
        )

    def tool(
        self, name: str, payload: dict[str, Any], token: str | None = None
    ) -> requests.Response:
        return self.http("POST", f"/api/v1/tools/{name}/", token, json=payload)

    def scrape_web(self) -> dict[str, Any]:
        response = requests.get(
            f"{self.web_url}/metrics",
            headers={"Authorization": f"Bearer {self.app.metrics_token}"},
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        return families(response.text)

    def scrape_worker(self, name: str) -> dict[str, Any]:
        response = requests.get(
            f"http://127.0.0.1:{self.worker_metrics[name]}/metrics", timeout=HTTP_TIMEOUT
        )
        response.raise_for_status()
        return families(response.text)

    def db(self) -> Any:
        import psycopg

        return psycopg.connect(self.app.database_url, autocommit=True, connect_timeout=3)

    def logs(self) -> str:
        return "\n".join(p.log.read_text(errors="replace") for p in self.processes.values())


def families(text: str) -> dict[str, Any]:
    """name -> {labels tuple (sorted items): value} for every sample in an exposition."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def sample(fams: dict[str, Any], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for key, v in fams.get(name, {}).items() if wanted <= set(key))


def _start(stack: Stack, name: str, process: Process) -> None:
    stack.processes[name] = process


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("operations")
    postgres = PostgresServer().init()
    postgres.start()
    redis_server = RedisServer(root / "redis")
    (root / "redis").mkdir()
    redis_server.start()
    app = AppEnv(
        postgres.create_database("cs_platform"), redis_server.url, root / "app", settings=SETTINGS
    )
    app.root.mkdir()
    stack: Stack | None = None
    processes: dict[str, Process] = {}
    try:
        sandbox_port = free_port()
        processes["sandbox"] = app.sandbox(sandbox_port, accounts=ACCOUNTS)
        app.manage("migrate", "--noinput", "-v", "0")
        sandbox = SandboxControl(f"http://127.0.0.1:{sandbox_port}")
        wait_for(sandbox.info, 30, "the sandbox providers")
        setup = SETUP.format(accounts=ACCOUNTS, clients=LOAD_CLIENTS, sandbox=sandbox.url)
        created = json.loads(app.manage("shell", "-c", setup).strip().splitlines()[-1])
        web_port = free_port()
        stack = Stack(
            root=root, postgres=postgres, redis=redis_server, app=app,
            web_url=f"http://127.0.0.1:{web_port}", sandbox=sandbox,
            tokens=created["tokens"], connections=created["connections"], processes=processes,
        )  # fmt: skip
        processes["web"] = app.web(web_port, workers=2)
        for name, queues in (("sync", "integrations"), ("main", "default,health")):
            stack.worker_metrics[name] = free_port()
            processes[name] = app.worker(name, queues, stack.worker_metrics[name])
        processes["beat"] = app.beat()
        wait_for(lambda: stack.http("GET", "/readyz").status_code == 200, 60, "web /readyz")
        for name in ("sync", "main"):
            wait_for(lambda n=name: stack.scrape_worker(n) is not None, 60, f"{name} /metrics")
            wait_for(lambda n=name: " ready." in processes[n].tail(50000), 60, f"{name} ready")
        yield stack
    finally:
        for process in processes.values():
            process.stop()
        redis_server.stop()
        if postgres.running():
            postgres.stop()
        postgres.remove()
        if stack is not None and os.environ.get("OPERATIONS_KEEP_LOGS"):
            print(f"operations logs kept in {root}")
