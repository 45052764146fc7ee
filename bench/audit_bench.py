"""What the audit chains' advisory locks cost under concurrent writes, on PostgreSQL.

    .venv/bin/python bench/audit_bench.py            # writes bench/results/audit.json
    .venv/bin/python bench/audit_bench.py --count 100 --writers 1,2,4   # a short run

The trail is `audit.services.AUDIT_CHAINS` hash chains; an append to one chain holds that
chain's transaction-level advisory lock from the audit call to the commit. For 1, 2, 4
(and 8) concurrent writer processes, each running short write transactions (one row plus
its audit event, committed), the benchmark reports throughput and the time spent waiting
for the lock in three modes:

- ``unchained``: the audit row is inserted without any chain (no lock, no predecessor
  read): the ceiling;
- ``partitioned``: each writer audits its own account, the accounts in distinct chains
  (unrelated writes, what the partitioning is for);
- ``one_chain``: every writer audits the same account, so all appends share one chain and
  one lock: the worst case, and what every write paid when the trail was a single chain.

The unchained rows are truncated after their run, so the chains verify at the end.

The benchmark uses a database of its own, ``BENCH_DATABASE_URL`` (default:
DATABASE_URL's server, database ``<name>_audit_bench``), which it drops, creates and
migrates; its name must end in ``_bench``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

MODES = ("unchained", "partitioned", "one_chain")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "audit.json"
sys.path.insert(0, str(ROOT))


def _bench_url(database_url: str) -> str:
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "postgres://postgres@127.0.0.1:5432/cs_platform_audit_bench"
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"{parts.path}_audit_bench"))


def _prepare_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database must end in _bench")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
    import django

    django.setup()


def _writer(args: tuple[str, int, int, multiprocessing.Barrier]) -> dict[str, float]:
    """One process: `count` write transactions, each a row and its audit event."""
    mode, worker, count, barrier = args
    _django()
    from django.db import transaction

    from audit import services
    from audit.models import AuditChainCheck, AuditEvent
    from cs_platform.core import clock

    account_id = _accounts_in_distinct_chains(worker + 1)[worker] if mode == "partitioned" else 1
    chain = services._chain_for(account_id, "", "", "")

    waited = 0.0
    barrier.wait()
    started = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            # The write the event belongs to (any row will do: a check row is small).
            AuditChainCheck.objects.create(
                checked_at=clock.now(), ok=True, events_checked=i, reason="bench", seconds=0
            )
            if mode != "unchained":
                # Taken here first (it is re-entrant within a transaction) to time the wait;
                # the writer's own lock call then returns at once.
                lock_started = time.perf_counter()
                services.audit_chain_lock(chain)
                waited += time.perf_counter() - lock_started
                services.audit_event_record(
                    actor=None, actor_label="system:bench", channel="task",
                    action="bench.write", object_type="bench", object_id=f"{worker}-{i}",
                    account_id=account_id, changes={"i": i},
                )  # fmt: skip
            else:
                # The same row without the chain: no lock, no read of the previous hash.
                AuditEvent.objects.create(
                    occurred_at=clock.now(), actor_label="system:bench", channel="task",
                    action="bench.write", object_type="bench", object_id=f"{worker}-{i}",
                    changes={"i": i}, prev_hash="0" * 64, hash=uuid.uuid4().hex + uuid.uuid4().hex,
                    hash_version=2,
                )  # fmt: skip
    return {"seconds": time.perf_counter() - started, "lock_wait_seconds": waited}


def _accounts_in_distinct_chains(count: int) -> list[int]:
    from audit.services import _chain_for

    seen: dict[int, int] = {}
    for account_id in range(1, 10_000):
        seen.setdefault(_chain_for(account_id, "", "", ""), account_id)
        if len(seen) == count:
            break
    return list(seen.values())


def _run(mode: str, writers: int, count: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(writers)
    with ctx.Pool(writers) as pool:
        started = time.perf_counter()
        results = pool.map(_writer, [(mode, w, count, barrier) for w in range(writers)])
        wall = time.perf_counter() - started
    total = writers * count
    slowest = max(r["seconds"] for r in results)
    return {
        "transactions": total,
        "writes_per_second": round(total / slowest, 1),
        "lock_wait_ms_per_write": round(
            1000 * sum(r["lock_wait_seconds"] for r in results) / total, 3
        ),
        "wall_seconds": round(wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400, help="transactions per writer")
    parser.add_argument("--writers", default="1,2,4,8")
    parser.add_argument("--note", default="", help="stored with the results (e.g. host load)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or _bench_url(os.environ.get("DATABASE_URL", ""))
    _prepare_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DB_POOL"] = "false"
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    from audit.services import AUDIT_CHAINS, audit_chain_verify

    runs = []
    for writers in [int(w) for w in args.writers.split(",")]:
        for mode in MODES:
            figures = _run(mode, writers, args.count)
            runs.append({"writers": writers, "mode": mode, **figures})
            print(writers, mode, figures, flush=True)
            if mode == "unchained":  # rows outside any chain: gone before the chained runs
                with connection.cursor() as cursor:
                    cursor.execute("TRUNCATE audit_auditevent")

    by = {(r["writers"], r["mode"]): r for r in runs}
    overhead = {
        mode: {
            str(w): round(1 - by[(w, mode)]["writes_per_second"]
                          / by[(w, "unchained")]["writes_per_second"], 3)
            for w, m in by if m == mode
        }
        for mode in MODES[1:]
    }  # fmt: skip
    result = {
        "what": "audited write transactions/s: per-chain advisory locks (writers on "
        "unrelated accounts, and all on one account) vs no chain",
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "note": args.note,
        "chains": AUDIT_CHAINS,
        "count_per_writer": args.count,
        "runs": runs,
        "throughput_lost_to_the_chain": overhead,
        "chain_ok_after": audit_chain_verify().ok,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["throughput_lost_to_the_chain"]))


if __name__ == "__main__":
    main()
