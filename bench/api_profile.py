"""Where one API call's time goes on the running server, under load: CPU per request by
process (gunicorn workers, PostgreSQL, Redis, the load generator) and a py-spy profile of
the workers.

Usage (after `make bench-api` has built the 100,000-account database ``cs_bench_api``):

    PY_SPY=/path/to/py-spy .venv/bin/python bench/api_profile.py \
        [--scenario "get_client_overview (cached)"] [--channel rest|mcp] [--clients 8]

The server is started exactly as `bench/api_bench.py` starts it (gunicorn, 4 sync
workers, production settings) and driven by the same closed-loop clients. While they run,
CPU seconds are read from /proc for the workers, the PostgreSQL backends connected to the
bench database, Redis and the load generator, and py-spy samples every worker
(``--subprocesses``). The summary: requests/s and p95 as in api.json; CPU
milliseconds per request per kind (on 2 cores, their sum bounds the throughput: 2,000 ms
/ the sum = requests/s at best); the functions holding the largest inclusive share of the
workers' samples; and the workers' own time grouped by library. Prints JSON.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_bench import (  # noqa: E402 (needs ROOT on sys.path)
    DB_NAME,
    Server,
    _db_url,
    _mcp,
    _mcp_ok,
    _ok,
    _rest,
    make_tokens,
    prepare_database,
    run_load,
    scenarios,
)

_TICK = os.sysconf("SC_CLK_TCK")


def _backends(database_url: str) -> set[int]:
    """The PostgreSQL backends serving the bench database (the workers' pooled
    connections); other databases' backends on this server are someone else's load."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid for (pid,) in rows}


def _cpu_by_kind(server_pid: int, backends: set[int]) -> dict[str, float]:
    """CPU seconds so far of each kind of process on this machine."""
    kinds: dict[str, float] = collections.defaultdict(float)
    workers = _descendants(server_pid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICK
        pid = int(entry.name)
        if pid in workers:
            kinds["gunicorn"] += seconds
        elif pid in backends:
            kinds["postgresql"] += seconds
        elif "redis-server" in cmd:
            kinds["redis"] += seconds
    own = os.times()
    kinds["load_generator"] = own.user + own.system
    return dict(kinds)


def _descendants(pid: int) -> set[int]:
    found = {pid}
    changed = True
    while changed:
        changed = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in found:
                continue
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent in found:
                found.add(int(entry.name))
                changed = True
    return found


# The project's own top-level packages: py-spy names files relative to their sys.path
# entry ("psycopg/cursor.py", "health/scoring/compiled.py"), so the first path part says
# whose code a frame is.
_PROJECT = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} | {"bench"}


def _library(frame: str) -> str:
    """`function (path/to/file.py:12)` -> the library, stdlib or project app it is in."""
    path = frame.rsplit("(", 1)[-1].rstrip(")").rsplit(":", 1)[0]
    path = path.split("site-packages/")[-1]
    top = path.split("/", 1)[0].removesuffix(".py")
    if top in _PROJECT:
        return f"project: {top}"
    if top in sys.stdlib_module_names or "/python3." in path:
        return "python stdlib"
    return top


def _summarise(raw: Path, top: int) -> dict:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        # The first frame names the process and thread; idle sampling is not collected.
        total += n
        for frame in set(frames[1:]):
            inclusive[frame] += n
        own[_library(frames[-1])] += n
    return {
        "samples": total,
        "inclusive": [
            {"share": round(n / total, 3), "frame": frame}
            for frame, n in inclusive.most_common(top)
        ]
        if total
        else [],
        "own_time_by_library": [
            {"share": round(n / total, 3), "library": lib} for lib, n in own.most_common(15)
        ]
        if total
        else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="get_client_overview (cached)")
    parser.add_argument("--channel", choices=["rest", "mcp"], default="rest")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--top", type=int, default=40)
    opts = parser.parse_args()
    py_spy = os.environ.get("PY_SPY")
    if not py_spy:
        raise SystemExit("PY_SPY must name the py-spy binary")
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cs_platform")
    prepare_database(base, 100_000)
    url = _db_url(base, DB_NAME)
    token, ids, owner = make_tokens(url)
    picked = [s for s in scenarios(ids, owner) if s[0] == opts.scenario]
    if not picked:
        raise SystemExit(f"unknown scenario {opts.scenario!r}")
    _, tool, args = picked[0]
    build, check = (_rest, _ok) if opts.channel == "rest" else (_mcp, _mcp_ok)

    def request(rng):
        return (*build(tool, args(rng)), check)

    with tempfile.TemporaryDirectory(prefix="api-profile-") as tmp:
        server = Server(url, opts.port, opts.workers, Path(tmp))
        try:
            run_load(opts.port, token, opts.workers * 2, 3.0, request)  # warm every worker
            raw = Path(tmp) / "profile.txt"
            spy = subprocess.Popen(
                [py_spy, "record", "--pid", str(server.process.pid), "--subprocesses",
                 "--format", "raw", "--rate", "250", "--nonblocking",
                 "--duration", str(int(opts.seconds) + 1), "--output", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            time.sleep(1.0)  # py-spy attaches to every worker before the load starts
            backends = _backends(url)  # the warm-up opened each worker's connections
            before = _cpu_by_kind(server.process.pid, backends)
            row = run_load(opts.port, token, opts.clients, opts.seconds, request)
            backends |= _backends(url)
            after = _cpu_by_kind(server.process.pid, backends)
            spy.wait(timeout=120)
            profile = _summarise(raw, opts.top) if raw.exists() else {"error": "no profile"}
        finally:
            server.stop()
    requests = max(row["requests"], 1)
    cpu_ms = {
        kind: round((after.get(kind, 0.0) - before.get(kind, 0.0)) * 1000 / requests, 2)
        for kind in sorted(after)
    }
    print(
        json.dumps(
            {
                "scenario": opts.scenario,
                "channel": opts.channel,
                "load": row,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "cpu_ms_per_request": cpu_ms,
                "cpu_ms_per_request_total": round(sum(cpu_ms.values()), 2),
                "profile_of_workers": profile,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
