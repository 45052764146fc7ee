"""A Celery worker SIGKILLed in the middle of a Zendesk sync: the redelivered task
finishes it with nothing lost and nothing stored twice.

Real processes throughout: a worker subprocess on the Redis broker, a database of its
own (the worker cannot see pytest's transaction), the sandbox over HTTP. Redis
redelivers the unacknowledged task after ``CELERY_VISIBILITY_TIMEOUT`` seconds; the new
worker's claim finds the dead worker's run without heartbeat, marks it ``abandoned`` and
resumes from the cursor of the last committed page.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings

from integrations.tests.sync_support import matched_org_ids, sandbox_tickets

pytestmark = [pytest.mark.slow, pytest.mark.sandbox(accounts=20, days=30, seed=11)]

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
VISIBILITY_TIMEOUT = 2
PAGE_SIZE = 8
SETUP = """
from customers.demo_identity import demo_company
from customers.models import Account
from integrations.models import Connection
for n in range(1, 21):
    c = demo_company(n)
    Account.objects.create(name=c.name, domain=c.domain, zendesk_org_id=c.zendesk_org_id)
conn = Connection.objects.create(
    provider="zendesk", name="killed worker", base_url="{base_url}",
    credentials={{"email": "{email}", "api_token": "{token}"}},
    settings={{"page_size": {page_size}, "retry_base_delay": 0.05}},
)
# Queued as an operator would: a SyncRun row plus its task on the integrations queue.
from django.core.management import call_command
call_command("sync_connection", conn.pk, stream="tickets", queue=True)
print(conn.pk)
"""


def _kill_db_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not settings.REDIS_URL:
        return None
    parts = urlsplit(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{parts.path.lstrip('/')}_workerkill_{worker}"
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _purge_broker() -> None:
    """Leftovers of an earlier run (an unacked message of a killed worker) must not be
    redelivered into this one."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [k for k in client.scan_iter("integrations*")] + [
        k for k in client.scan_iter("unacked*")
    ]
    if keys:
        client.delete(*keys)


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "DB_POOL": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DJANGO_SETTINGS_MODULE": "integrations.tests.worker_settings",
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "celery"), "-A", "cs_platform", "worker", "-Q", "integrations", "-c", "1",
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "info"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: main process and pool child
    )  # fmt: skip


def _wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def test_worker_killed_mid_sync_resumes_without_loss_or_duplicates(sandbox, tmp_path):
    url = _kill_db_url()
    if url is None:
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL (the broker)")
    env = _env(url)
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen] = []
    _recreate_database(url)
    try:
        _manage(env, "migrate", "-v0")
        _purge_broker()
        c = sandbox.credentials
        conn_id = int(
            _manage(env, "shell", "-v", "0", "-c", SETUP.format(
                base_url=sandbox.base_url("zendesk"), email=c.zendesk_email,
                token=c.zendesk_api_token, page_size=PAGE_SIZE,
            )).strip().splitlines()[-1]
        )  # fmt: skip
        expected = {
            str(t["id"]): t["updated_at"]
            for t in sandbox_tickets(sandbox)
            if t["organization_id"] in matched_org_ids(range(1, 21))
        }
        assert len(expected) > 4 * PAGE_SIZE
        db = psycopg.connect(url, autocommit=True)

        def runs():
            return db.execute(
                "SELECT id, status, fetched, created, error_code FROM integrations_syncrun "
                "WHERE connection_id = %s ORDER BY id",
                [conn_id],
            ).fetchall()

        def stored():
            return db.execute(
                "SELECT external_id, to_char(source_updated_at AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\') FROM integrations_supportticket '
                "WHERE connection_id = %s",
                [conn_id],
            ).fetchall()

        # Every provider call is slow, so the sync is mid-way when the worker dies.
        sandbox.set_fault("zendesk", "slow", delay=0.6)
        workers.append(_start_worker(env, log))
        _wait_for(lambda: [r for r in runs() if r[1] == "running"], 30, "the task", log)
        delivered_by = time.monotonic()  # Redis times the visibility window from delivery
        _wait_for(
            lambda: [r for r in runs() if r[1] == "running" and r[2] >= 2 * PAGE_SIZE],
            30, "two committed pages", log,
        )  # fmt: skip

        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        ((killed_id, status, fetched, created, _),) = runs()
        partial = dict(stored())
        assert status == "running" and 0 < len(partial) < len(expected)
        assert created == len(partial)
        sandbox.reset_faults()
        # Redis hands the unacknowledged task out again once its visibility timeout has
        # passed (a starting worker restores such messages). Should the dead run's
        # heartbeat not look stale yet, the task retries until it does.
        time.sleep(max(0.0, delivered_by + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))

        workers.append(_start_worker(env, log))
        final = _wait_for(
            lambda: [r for r in runs() if r[1] in ("succeeded", "partial", "failed")
                     and r[0] != killed_id],
            30, "the redelivered run to finish", log,
        )  # fmt: skip

        all_runs = runs()
        assert [(r[0], r[1], r[4]) for r in all_runs if r[0] == killed_id] == [
            (killed_id, "failed", "abandoned")
        ]
        assert len(final) == 1 and final[0][1] == "succeeded", all_runs
        rows = stored()
        assert len(rows) == len({ext for ext, _ in rows}) == len(expected)
        assert dict(rows) == expected
        # Nothing applied twice: the resumed run created exactly what the killed one had not.
        assert final[0][3] == len(expected) - len(partial)
        cursor = db.execute(
            "SELECT cursors FROM integrations_connection WHERE id = %s", [conn_id]
        ).fetchone()[0]
        assert cursor["tickets"]["after_cursor"]
        db.close()
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
        _purge_broker()
        _drop_database(url)
