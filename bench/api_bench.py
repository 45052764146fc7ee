"""API benchmark (`make bench-api`): REST and MCP under closed-loop load against gunicorn as
production runs it, on a seeded portfolio, beside a constant-response floor.

Usage (PostgreSQL server from DATABASE_URL, Redis from REDIS_URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cs_platform REDIS_URL=redis://... \\
        .venv/bin/python bench/api_bench.py [--accounts 100000] [--clients 1,8,32] [--seconds 5]

Steps: (1) the database ``cs_bench_api`` on the DATABASE_URL server is reused when it holds
exactly ``--accounts`` demo accounts, else migrated, seeded (``seed_demo``) and scored
(``recompute_health --all``); (2) gunicorn starts through ``scripts/docker-entrypoint.sh
web`` with the production settings and 4 sync workers (WEB_CONCURRENCY), the API throttle
raised out of the way; (3) this process, separate from the server, runs each scenario for
``--seconds`` at each client count: every client is a thread with its own keep-alive
connection, sending the next request when the previous answer arrived. A request counts as
an error unless it answers 200 (and, over MCP, a result without ``isError``). The floor is
``GET /healthz`` in the same run, so each figure is also a ratio to it. Results (machine,
date, commit, seed and scoring times, per scenario/channel/clients: throughput, p50, p95,
p99, errors, ratios to the floor) go to bench/results/api.json; a Markdown table is
printed. Exits 1 when any request failed.

The load generator is Python threads (the GIL bounds it near a few thousand requests per
second), so the floor it measures is the client's ceiling as much as the server's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "api.json"
DB_NAME = "cs_bench_api"
PYTHON = sys.executable


def _db_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "DB_", "OTEL_"))
        and k not in {"CS_TODAY", "PROMETHEUS_MULTIPROC_DIR"}
    }
    env.update(
        DJANGO_ENV_FILE="/nonexistent/.env",
        DJANGO_SETTINGS_MODULE="cs_platform.settings",
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        DJANGO_SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-" + "k" * 60),
        FIELD_ENCRYPTION_SALTS="bench-api-salt",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def _manage(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}"
                         f"{done.stderr[-3000:]}")  # fmt: skip
    return done.stdout


def _sql(database_url: str, query: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def prepare_database(base_url: str, accounts: int) -> dict:
    """Reuse the bench database when it holds exactly `accounts` accounts, else build it."""
    url = _db_url(base_url, DB_NAME)
    exists = _sql(_db_url(base_url, "postgres"),
                  f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")  # fmt: skip
    if not exists:
        _sql(_db_url(base_url, "postgres"), f"CREATE DATABASE {DB_NAME}")
    env = _env(url)
    started = time.perf_counter()
    _manage(env, "migrate", "--noinput", "-v0")
    migrate_s = time.perf_counter() - started
    count = _sql(url, "SELECT count(*) FROM customers_account")[0][0]
    scored = _sql(url, "SELECT count(*) FROM health_latesthealthscore")[0][0]
    info = {"database": DB_NAME, "accounts": accounts, "reused": True,
            "migrate_seconds": round(migrate_s, 1)}  # fmt: skip
    if count != accounts or scored < accounts * 0.9:
        info["reused"] = False
        started = time.perf_counter()
        _manage(env, "seed_demo", "--accounts", str(accounts), "--reset", timeout=1800)
        info["seed_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        _manage(env, "recompute_health", "--all", timeout=1800)
        info["recompute_seconds"] = round(time.perf_counter() - started, 1)
    # Planner statistics as a production server's autovacuum keeps them: without them the
    # planner still sees the tables as they were before the recompute (no scores, no churn
    # copy) and picks plans for empty columns. A development server may run without
    # autovacuum, so the bench analyzes itself.
    started = time.perf_counter()
    _sql(url, "VACUUM ANALYZE")
    info["vacuum_analyze_seconds"] = round(time.perf_counter() - started, 1)
    return info


def make_tokens(database_url: str) -> tuple[str, list[int], int]:
    """A manager's token (read and write), account ids to spread calls over, an owner id."""
    script = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from cs_platform.core.models import Role, StaffProfile
from cs_platform.core.tokens import api_token_create
from customers.models import Account
user, _ = get_user_model().objects.get_or_create(username="bench-api")
StaffProfile.objects.update_or_create(user=user, defaults={"role": Role.MANAGER})
_, secret = api_token_create(username="bench-api", scopes=["read", "write"], name="bench")
active = Account.objects.filter(status="active").order_by("?")
ids = list(active.values_list("id", flat=True)[:2000])
owner = Account.objects.exclude(owner=None).values_list("owner_id", flat=True).first()
print(json.dumps({"token": secret, "ids": ids, "owner": owner}))
"""
    done = subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=_env(database_url),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return data["token"], data["ids"], data["owner"]


class Server:
    """gunicorn as the container's web role starts it (scripts/docker-entrypoint.sh)."""

    def __init__(self, database_url: str, port: int, workers: int, root: Path) -> None:
        self.port = port
        env = _env(
            database_url,
            DJANGO_SETTINGS_MODULE="cs_platform.settings.production",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="false",
            METRICS_BEARER_TOKEN=secrets.token_urlsafe(24),
            PORT=str(port), LISTEN_ADDRESS="127.0.0.1", WEB_CONCURRENCY=str(workers),
            PROMETHEUS_MULTIPROC_DIR=str(root / "metrics"), GUNICORN_WORKER_TMP_DIR=str(root),
            GUNICORN_MAX_REQUESTS="1000000",
            # The per-token throttle (600/min) would turn the load into 429s.
            API_THROTTLE_RATE="100000000/min",
            PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )  # fmt: skip
        (root / "metrics").mkdir(exist_ok=True)
        self.log = root / "web.log"
        self.process = subprocess.Popen(
            ["sh", str(ROOT / "scripts" / "docker-entrypoint.sh"), "web"], cwd=ROOT, env=env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not come up:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _rest(name: str, args: dict) -> tuple[str, str, bytes]:
    return "POST", f"/api/v1/tools/{name}/", json.dumps(args).encode()


def _mcp(name: str, args: dict) -> tuple[str, str, bytes]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": args}}  # fmt: skip
    return "POST", "/mcp", json.dumps(body).encode()


def scenarios(ids: list[int], owner: int) -> list[tuple[str, str, object]]:
    """(scenario, tool, argument maker): a maker takes a random generator."""
    hot = ids[:20]  # a CSM's day: the same few accounts again and again (cache hits)
    return [
        ("get_client_overview (cached)", "get_client_overview",
         lambda r: {"account_id": r.choice(hot)}),
        ("get_client_overview (uncached)", "get_client_overview",
         lambda r: {"account_id": r.choice(ids)}),
        ("list_clients page 50", "list_clients", lambda r: {"limit": 50}),
        ("list_clients tier+band filter", "list_clients",
         lambda r: {"limit": 50, "tier": "enterprise", "health_band": "red"}),
        ("list_clients sort arr", "list_clients", lambda r: {"limit": 50, "sort": "arr"}),
        ("list_clients owner, sort health", "list_clients",
         lambda r: {"limit": 50, "owner_id": owner, "sort": "health"}),
        ("calculate_health_score", "calculate_health_score",
         lambda r: {"account_id": r.choice(ids)}),
        ("identify_churn_risk", "identify_churn_risk", lambda r: {"limit": 25}),
    ]  # fmt: skip


def run_load(port: int, token: str, clients: int, seconds: float, make_request) -> dict:
    """Closed loop: `clients` threads, each on its own keep-alive connection."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}  # fmt: skip

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad: list[str] = []
        while time.monotonic() < stop_at:
            method, path, body, check = make_request(rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                ok = resp.status == 200 and check(payload)
                if not ok:
                    bad.append(f"{resp.status} {payload[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def _ok(payload: bytes) -> bool:
    return True


def _mcp_ok(payload: bytes) -> bool:
    return b'"result"' in payload and b'"isError":true' not in payload


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--note", default="", help="Free text kept with the results")
    parser.add_argument("--no-write", action="store_true", help="Do not write api.json")
    opts = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cs_platform")
    run_started = time.perf_counter()
    clients = [int(c) for c in opts.clients.split(",")]
    database = prepare_database(base, opts.accounts)
    url = _db_url(base, DB_NAME)
    token, ids, owner = make_tokens(url)
    load_before = os.getloadavg()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        server = Server(url, opts.port, opts.workers, Path(tmp))
        try:

            def floor(rng):
                return "GET", "/healthz", None, _ok

            requests = []
            for scenario, tool, args in scenarios(ids, owner):
                for channel, build, check in (("rest", _rest, _ok), ("mcp", _mcp, _mcp_ok)):

                    def request(rng, build=build, tool=tool, args=args, check=check):
                        return (*build(tool, args(rng)), check)

                    requests.append((scenario, channel, request))
            # Warm every worker on every call first (imports, compiled scorecard, caches of
            # the process), so no point pays a cold start.
            for _, _, request in requests:
                run_load(opts.port, token, opts.workers * 2, 1.5, request)
            for n in clients:
                run_load(opts.port, token, n, 1.0, floor)
                results.append({"scenario": "floor GET /healthz", "channel": "http",
                                **run_load(opts.port, token, n, opts.seconds, floor)})  # fmt: skip
            for scenario, channel, request in requests:
                for n in clients:
                    row = run_load(opts.port, token, n, opts.seconds, request)
                    results.append({"scenario": scenario, "channel": channel, **row})
                    print(json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
    floors = {r["clients"]: r for r in results if r["scenario"].startswith("floor")}
    for r in results:
        f = floors[r["clients"]]
        r["p95_vs_floor"] = round(r["p95_ms"] / f["p95_ms"], 1) if f["p95_ms"] else None
        r["throughput_vs_floor"] = (
            round(r["throughput_rps"] / f["throughput_rps"], 4) if f["throughput_rps"] else None
        )
    summary = {
        "benchmark": "api",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),  # the run's wall clock
        "commit": _commit(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "note": opts.note,
        },
        "server": {"gunicorn_sync_workers": opts.workers, "settings": "production"},
        "database": database,
        "seconds_per_point": opts.seconds,
        "total_seconds": round(time.perf_counter() - run_started, 1),
        "errors": sum(r["errors"] for r in results),
        "results": results,
    }
    if not opts.no_write:
        RESULTS.write_text(json.dumps(summary, indent=1) + "\n")
    print(markdown(summary))
    if summary["errors"]:
        print(f"{summary['errors']} requests failed", file=sys.stderr)
        sys.exit(1)


def markdown(summary: dict) -> str:
    clients = sorted({r["clients"] for r in summary["results"]})
    head = (
        "| call | channel | "
        + " | ".join(f"{n} cl. req/s · p95 ms" for n in clients)
        + " | p95 vs floor (8) |"
    )
    lines = [head, "|---|---|" + "---|" * (len(clients) + 1)]
    rows: dict[tuple[str, str], dict[int, dict]] = {}
    for r in summary["results"]:
        rows.setdefault((r["scenario"], r["channel"]), {})[r["clients"]] = r
    for (scenario, channel), by in rows.items():
        cells = [f"{by[n]['throughput_rps']} · {by[n]['p95_ms']}" if n in by else "—"
                 for n in clients]  # fmt: skip
        ratio = by.get(8, {}).get("p95_vs_floor", "—")
        lines.append(f"| {scenario} | {channel} | " + " | ".join(cells) + f" | {ratio}× |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
