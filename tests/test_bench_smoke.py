"""The health benchmark runs end to end at a tiny size, so `make bench` cannot rot between
the (minutes-long) real runs. Figures are not asserted: speed is measured, not tested."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "health.json"


def scratch_database() -> str:
    """A scratch database name of this test process's own: two runs at once (two
    checkouts, or two xdist workers) must not drop each other's database mid-run. Made
    of the test database's name, the xdist worker and the pid, within PostgreSQL's 63."""
    base = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "cs"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    suffix = f"_bench_{worker}_{os.getpid()}"
    return (re.sub(r"\W", "_", base)[: 63 - len(suffix)] + suffix).lower()


@pytest.mark.slow  # seeds and scores a database of its own in a child process
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
def test_health_bench_scores_every_seeded_account_without_touching_the_results():
    before = RESULTS.read_bytes()
    database = scratch_database()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    try:
        done = subprocess.run(
            [sys.executable, "bench/health_bench.py", "--sizes", "300", "--workers", "1",
             "--no-write", "--database", database],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
    assert done.returncode == 0, done.stderr[-2000:]
    runs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"accounts"')]
    assert [(r["run"], r["accounts"]) for r in runs] == [("first", 300), ("steady_state", 300)]
    for run in runs:
        assert run["snapshots_at_as_of"] == run["latest_snapshots"] == 300
        assert run["predictions_at_as_of"] == 300 and run["queries_per_chunk"] == [16]
    assert RESULTS.read_bytes() == before
