"""The production topology on loopback, for the operations tests: a PostgreSQL and a Redis
of their own (started here, so restarting them harms no other test or helper), the sandbox
providers, gunicorn with two workers, two Celery workers (one per queue group) and beat,
all under the production settings, each a real process.

Everything listens on free loopback ports; every process is started in its own session
and stopped by its process group. Nothing here touches the machine's own services.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psycopg
import redis

REPO = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # the thing we wait for is not there yet
            last_error, value = exc, None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error})"
    )


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)
        except ProcessLookupError:
            pass

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def spawn(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    popen = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return Process(name, popen, log)


# --- PostgreSQL and Redis of our own ------------------------------------------------------


def _postgres_bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return Path(initdb).resolve().parent


class PostgresServer:
    """A throwaway cluster in a temporary directory, on a free port. PostgreSQL refuses
    to run as root, so under root (CI) it runs as the ``postgres`` system user, in a
    directory of its own (pytest's temporary directories are private to root)."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="cs-operations-pg-"))
        self.datadir = self.root / "pgdata"
        self.logfile = self.root / "postgres.log"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, *argv: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self._as_user, *argv], capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, cwd="/",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def init(self) -> PostgresServer:
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=120 -c shared_buffers=64MB"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
                  "-o", options, "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w",
                  "-t", "30", "stop")  # fmt: skip

    def running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


class RedisServer:
    """redis-server on a free port, persisting to an append-only file in ``root`` (as
    production does, so queued tasks survive a restart)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.root), "--appendonly", "yes", "--save", "",
                "--maxmemory-policy", "noeviction"]  # fmt: skip
        self.process = spawn("redis", argv, dict(os.environ), self.root)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for(client.ping, 10, "redis to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


# --- the application ----------------------------------------------------------------------


@dataclass
class AppEnv:
    database_url: str
    redis_url: str
    root: Path
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(60))
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    settings: dict[str, str] = field(default_factory=dict)  # extra variables, every process

    def base(self, **extra: str) -> dict[str, str]:
        """The base settings: for the demo-only setup commands (seed, sandbox links)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "DB_", "OTEL_"))
            and key not in {"CS_TODAY", "PROMETHEUS_MULTIPROC_DIR"}
        }
        env.update(
            DJANGO_ENV_FILE="/nonexistent/.env",
            DJANGO_SETTINGS_MODULE="cs_platform.settings",
            DJANGO_SECRET_KEY=self.secret_key,
            FIELD_ENCRYPTION_SALTS="operations-test-salt",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            METRICS_BEARER_TOKEN=self.metrics_token,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.settings)
        env.update(extra)
        return env

    def production(self, **extra: str) -> dict[str, str]:
        return self.base(
            DJANGO_SETTINGS_MODULE="cs_platform.settings.production",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="false",
            **extra,
        )

    def manage(self, *args: str, env: dict[str, str] | None = None, timeout: float = 180) -> str:
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=REPO, env=env or self.base(),
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def metrics_dir(self, name: str) -> str:
        path = self.root / f"metrics-{name}"
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

    def web(self, port: int, workers: int = 2) -> Process:
        """The container's web role (scripts/docker-entrypoint.sh): gunicorn with the
        production settings, the metrics hooks and ``workers`` sync workers."""
        env = self.production(
            PORT=str(port), LISTEN_ADDRESS="127.0.0.1", WEB_CONCURRENCY=str(workers),
            PROMETHEUS_MULTIPROC_DIR=self.metrics_dir("web"), GUNICORN_TIMEOUT="30",
            GUNICORN_WORKER_TMP_DIR=str(self.root), DB_POOL_MAX_SIZE="4",
            # Worker pids stay put for the whole run (the restart test compares them).
            GUNICORN_MAX_REQUESTS="1000000",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )  # fmt: skip
        return spawn("web", ["sh", str(REPO / "scripts" / "docker-entrypoint.sh"), "web"], env,
                     self.root)  # fmt: skip

    def worker(self, name: str, queues: str, metrics_port: int, concurrency: int = 1) -> Process:
        env = self.production(
            CELERY_QUEUES=queues, CELERY_CONCURRENCY=str(concurrency),
            CELERY_METRICS_PORT=str(metrics_port), CELERY_METRICS_ADDRESS="127.0.0.1",
            PROMETHEUS_MULTIPROC_DIR=self.metrics_dir(name), DB_POOL="false",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )  # fmt: skip
        argv = ["sh", str(REPO / "scripts" / "docker-entrypoint.sh"), "worker", "-n",
                f"{name}@%h", "--without-mingle", "--without-gossip"]  # fmt: skip
        return spawn(name, argv, env, self.root)

    def beat(self) -> Process:
        env = self.production(
            CELERY_BEAT_SCHEDULE_FILE=str(self.root / "celerybeat-schedule"), DB_POOL="false",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )  # fmt: skip
        return spawn("beat", ["sh", str(REPO / "scripts" / "docker-entrypoint.sh"), "beat"], env,
                     self.root)  # fmt: skip

    def sandbox(self, port: int, accounts: int) -> Process:
        argv = [str(BIN / "python"), "manage.py", "sandbox_providers", "--port", str(port),
                "--accounts", str(accounts), "--seed", "42", "--days", "30"]  # fmt: skip
        return spawn("sandbox", argv, self.base(), self.root)
