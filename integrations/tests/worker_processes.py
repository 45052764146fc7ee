"""Real Celery workers for the worker-loss tests: a database of their own (a worker
cannot see pytest's transaction), the Redis broker under a key prefix of their own (two
such tests running at once never share a queue), started as subprocesses and killed
with SIGKILL, as the kernel's OOM killer or a lost node would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
VISIBILITY_TIMEOUT = 2
T = TypeVar("T")


class WorkerLab:
    """One test's database, broker namespace and worker processes (``name`` tells them
    apart from other tests')."""

    def __init__(self, name: str, log: Path) -> None:
        url = os.environ.get("DATABASE_URL", "")
        parts = urlsplit(url)
        xdist = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.db_url = urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_{name}_{xdist}"))
        self.prefix = f"{name}-{xdist}:"
        self.log = log
        self.workers: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": self.db_url,
            "REDIS_URL": settings.REDIS_URL,
            "DB_POOL": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_BROKER_KEY_PREFIX": self.prefix,
            "DJANGO_SETTINGS_MODULE": "integrations.tests.worker_settings",
            "LOG_LEVEL": "WARNING",
        }

    @staticmethod
    def available() -> bool:
        url = os.environ.get("DATABASE_URL", "")
        return url.startswith(("postgres://", "postgresql://")) and bool(settings.REDIS_URL)

    # --- database and broker --------------------------------------------------------

    def _admin(self) -> psycopg.Connection:
        parts = urlsplit(self.db_url)
        return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)

    def recreate_database(self) -> None:
        name = urlsplit(self.db_url).path.lstrip("/")
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self) -> None:
        name = urlsplit(self.db_url).path.lstrip("/")
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def purge_broker(self) -> None:
        """Leftovers of an earlier run (an unacked message of a killed worker) must not
        be redelivered into this one."""
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(f"{self.prefix}*"))
        if keys:
            client.delete(*keys)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.db_url, autocommit=True)

    # --- processes ------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "cs_platform", "worker", "-Q", "integrations", "-c",
             "1", "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "info"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: main process and pool child
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)

    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        tail = self.log.read_text()[-3000:] if self.log.exists() else ""
        raise AssertionError(f"timed out waiting for {what}; worker log:\n{tail}")

    @staticmethod
    def wait_for_redelivery(delivered_at: float) -> None:
        """Redis hands an unacknowledged task out again once its visibility timeout has
        passed since delivery (a starting worker restores such messages)."""
        time.sleep(max(0.0, delivered_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
