"""/healthz and /readyz: in-process, and against the real app in a subprocess.

The subprocess tests run the container's web role (scripts/docker-entrypoint.sh, so
gunicorn with the production settings) against their own freshly migrated database, and
reach PostgreSQL through a TCP proxy the test can cut, so an outage is real without
stopping the PostgreSQL other tests use.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import environ
import psycopg
import pytest
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from psycopg import sql

from cs_platform.core.probes import readiness

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SECRET_A = "probe-test-secret-A-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
SECRET_B = "probe-test-secret-B-9876543210-zyxwvutsrqponmlkjihgfedcba-HGFEDCBA"
SALTS = "probe-salt-v1"
PUBLIC_HOST = "cs.example.test"
DB_POOL_TIMEOUT = 3
DB_CONNECT_TIMEOUT = 2


# --- in-process --------------------------------------------------------------------


def test_readyz_answers_200_with_every_configured_check(client, db, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    expected = {"database", "encryption"} | ({"redis"} if settings.REDIS_URL else set())
    assert set(body["checks"]) == expected
    assert body["status"] == "ok" and body["failed"] == []
    assert all(check["ok"] is True for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_names_unapplied_migrations(client, db):
    # Roll the newest integrations migration back in the records only (the test's
    # transaction undoes it): exactly what a deploy with new, unapplied migrations sees.
    from django.db import connection

    leaf = next(
        name
        for app, name in MigrationLoader(connection).graph.leaf_nodes()
        if app == "integrations"
    )
    MigrationRecorder.Migration.objects.filter(app="integrations", name=leaf).delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {
        "ok": False,
        "detail": f"1 migration(s) not applied: integrations.{leaf}",
        "ms": body["checks"]["database"]["ms"],
    }
    assert body["checks"]["encryption"]["ok"] is None  # skipped, not blamed


def test_probes_ignore_allowed_hosts_but_nothing_else_does(client, db):
    # An orchestrator probes by pod IP; ALLOWED_HOSTS names the public host.
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").json() == {"status": "ok"}
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/api/schema/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert client.post("/readyz").status_code == 405


def test_readiness_turns_a_raising_check_into_a_named_failure():
    def broken() -> tuple[bool, str]:
        raise RuntimeError("boom")

    ok, results = readiness({"database": lambda: (True, "ok"), "queue": broken})
    assert ok is False
    assert results["queue"]["ok"] is False
    assert results["queue"]["detail"] == "check raised RuntimeError"


def test_readiness_skips_database_dependent_checks_when_the_database_fails():
    called = []
    ok, results = readiness(
        {
            "database": lambda: (False, "unreachable (OperationalError)"),
            "encryption": lambda: called.append("encryption") or (True, "ok"),
            "redis": lambda: (True, "ok"),
        }
    )
    assert ok is False and called == []
    assert results["encryption"] == {"ok": None, "detail": "skipped: database not ready", "ms": 0}
    assert results["redis"]["ok"] is True


# --- the real app in a subprocess -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TcpProxy:
    """A loopback TCP proxy that can be cut (refuse new, kill open) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener, self._stop = listener, threading.Event()
        self._acceptor = threading.Thread(
            target=self._accept, args=(listener, self._stop), daemon=True
        )
        self._acceptor.start()

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            # The acceptor's poll holds the socket until it returns: wait for it, so the
            # port is really closed (and free to reopen) when this returns.
            self._acceptor.join()
            self._listener.close()  # new connections are now refused
            self._listener = None
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:  # and the open ones die, as with a stopped server
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _pg_settings() -> dict:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/cs_platform"
    config = environ.Env.db_url_config(url)
    assert config["ENGINE"].endswith("postgresql"), "these tests need PostgreSQL (DATABASE_URL)"
    return config


def _pg_url(config: dict, *, name: str, port: int | None = None) -> str:
    auth = config["USER"] + (f":{config['PASSWORD']}" if config.get("PASSWORD") else "")
    return f"postgres://{auth}@{config['HOST']}:{port or config['PORT']}/{name}"


def _production_env(database_url: str, **overrides: str) -> dict[str, str]:
    """Only what the container would get: nothing inherited from the test run."""
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_ENV_FILE": "/nonexistent/.env",
        "DJANGO_SETTINGS_MODULE": "cs_platform.settings.production",
        "DJANGO_SECRET_KEY": SECRET_A,
        "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "FIELD_ENCRYPTION_SALTS": SALTS,
        "DB_CONNECT_TIMEOUT": str(DB_CONNECT_TIMEOUT),
        "DB_POOL_TIMEOUT": str(DB_POOL_TIMEOUT),
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def probe_db() -> dict:
    """A migrated database of our own, made once per test run.

    The first xdist worker to get here creates it and migrates it through the container's
    migrate role; the others wait on an advisory lock and reuse it (the servers only read
    it). Like pytest-django's --reuse-db databases it stays after the run; the next run
    replaces it, recognising its own by the run id in the database comment.
    """
    config = _pg_settings()
    name = f"{config['NAME']}_probe"
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"
    with psycopg.connect(_pg_url(config, name="postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
        try:
            made_for = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            ).fetchone()
            if made_for is None or made_for[0] != run_id:
                ident = sql.Identifier(name)
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
                migrate = subprocess.run(
                    ["/bin/sh", "scripts/docker-entrypoint.sh", "migrate", "-v", "0"],
                    cwd=REPO,
                    env=_production_env(_pg_url(config, name=name), DB_POOL="false"),
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert migrate.returncode == 0, migrate.stderr[-3000:]
                comment = sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(run_id))
                conn.execute(comment)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])
    return {"config": config, "name": name, "url": _pg_url(config, name=name)}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class AppServer:
    process: subprocess.Popen
    port: int
    log: Path

    def get(self, path: str, *, timeout: float = 20, **headers: str) -> Reply:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        headers_ = {k.lower(): v for k, v in response.getheaders()}
        return Reply(response.status, headers_, body, time.monotonic() - started)

    def worker_pids(self) -> set[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return {int(pid) for pid in out.split()}


@contextmanager
def app_server(env: dict[str, str], log: Path) -> Iterator[AppServer]:
    """The container's web role (gunicorn, one sync worker) on a free loopback port."""
    port = _free_port()
    env = {**env, "LISTEN_ADDRESS": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["/bin/sh", "scripts/docker-entrypoint.sh", "web"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = AppServer(process, port, log)
    try:
        deadline = time.monotonic() + 40
        while True:
            assert process.poll() is None, f"server exited:\n{log.read_text()[-3000:]}"
            try:
                if server.get("/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"server never answered:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: AppServer, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if server.get("/readyz").status == 200:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"/readyz not 200 within {within}s: {server.get('/readyz').body!r}")


@pytest.mark.slow
@pytest.mark.parametrize("pool", [True, False], ids=["native-pool", "persistent-connections"])
def test_readyz_names_the_database_while_it_is_down_and_recovers_without_restart(
    probe_db, tmp_path, pool
):
    config = probe_db["config"]
    proxy = TcpProxy((config["HOST"], int(config["PORT"])))
    proxy.open()
    env = _production_env(
        _pg_url(config, name=probe_db["name"], port=proxy.port), DB_POOL=str(pool).lower()
    )
    try:
        with app_server(env, tmp_path / "web.log") as server:
            ready = server.get("/readyz")
            assert ready.status == 200, ready.body
            assert {n: c["ok"] for n, c in ready.json()["checks"].items()} == {
                "database": True,
                "redis": True,
                "encryption": True,
            }
            workers = server.worker_pids()
            assert len(workers) == 1

            # A restart while idle kills the kept connection; it is checked before use and
            # replaced, so the very next request is served, not failed.
            proxy.close()
            proxy.open()
            after_restart = server.get("/readyz")
            assert after_restart.status == 200, after_restart.body

            proxy.close()  # PostgreSQL "stops": connects refused, open connections dead
            for _ in range(2):  # the first probe meets the dead pooled connection, then a refusal
                down = server.get("/readyz")
                assert down.status == 503, down.body
                body = down.json()
                assert body["status"] == "unavailable"
                assert body["failed"] == ["database"]
                assert body["checks"]["database"]["detail"].startswith("unreachable (")
                assert body["checks"]["encryption"]["ok"] is None
                assert body["checks"]["redis"]["ok"] is True
                assert down.seconds < DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + 1
            alive = server.get("/healthz")
            assert (alive.status, alive.json()) == (200, {"status": "ok"})
            assert alive.seconds < 1

            proxy.open()  # PostgreSQL is back
            recovered_in = _wait_ready(server, within=20)
            assert recovered_in < 15
            assert server.process.poll() is None
            assert server.worker_pids() == workers  # same worker: no restart of any kind
    finally:
        proxy.close()


@pytest.mark.slow
def test_readyz_names_redis_when_it_is_unreachable(probe_db, tmp_path):
    env = _production_env(
        probe_db["url"],
        REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",
        REDIS_CONNECT_TIMEOUT="1",
        REDIS_SOCKET_TIMEOUT="1",
    )
    with app_server(env, tmp_path / "web.log") as server:
        down = server.get("/readyz")
        assert down.status == 503
        body = down.json()
        assert body["failed"] == ["redis"]
        assert body["checks"]["redis"]["detail"] == "unreachable (ConnectionError)"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["encryption"]["ok"] is True
        assert down.seconds < 3
        assert server.get("/healthz").status == 200


@pytest.mark.slow
@pytest.mark.parametrize(
    ("overrides", "failed"),
    [
        ({"DJANGO_SECRET_KEY": SECRET_B}, ["encryption"]),
        ({"FIELD_ENCRYPTION_SALTS": "another-salt"}, ["encryption"]),
        # A key rotation done right: the old key stays a fallback, so secrets still decrypt.
        ({"DJANGO_SECRET_KEY": SECRET_B, "DJANGO_SECRET_KEY_FALLBACKS": SECRET_A}, []),
        ({"FIELD_ENCRYPTION_SALTS": f"probe-salt-v2,{SALTS}"}, []),
    ],
    ids=["other-key", "other-salt", "rotated-key", "rotated-salt"],
)
def test_readyz_fails_encryption_when_the_keys_cannot_read_the_canary(
    probe_db, tmp_path, overrides, failed
):
    with app_server(_production_env(probe_db["url"], **overrides), tmp_path / "web.log") as server:
        reply = server.get("/readyz")
        body = reply.json()
        assert body["failed"] == failed
        if failed:
            assert reply.status == 503
            assert body["checks"]["encryption"]["detail"] == (
                "stored secrets cannot be decrypted with the configured keys"
            )
            assert body["checks"]["database"]["ok"] is True
        else:
            assert reply.status == 200


def _dockerfile_healthcheck() -> list[str]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(ln for ln in text.splitlines() if ln.startswith("HEALTHCHECK"))
    return json.loads(re.search(r"\bCMD\s+(\[.*\])\s*$", line).group(1))


@pytest.mark.slow
def test_container_web_role_health_check_and_security_headers(probe_db, tmp_path):
    healthcheck = _dockerfile_healthcheck()
    with app_server(_production_env(probe_db["url"]), tmp_path / "web.log") as server:
        # The image's HEALTHCHECK, run as Docker would, passes against the live server...
        env = {"PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin", "PORT": str(server.port)}
        passed = subprocess.run(healthcheck, env=env, capture_output=True, timeout=30)
        assert passed.returncode == 0, passed.stderr
        # ...and fails against a port where nothing answers.
        env["PORT"] = str(_free_port())
        assert subprocess.run(healthcheck, env=env, capture_output=True, timeout=30).returncode != 0

        # Host validation still guards everything except the probes.
        assert server.get("/admin/login/").status == 400
        plain = server.get("/admin/login/", Host=PUBLIC_HOST)
        assert (plain.status, plain.headers["location"]) == (
            301,
            f"https://{PUBLIC_HOST}/admin/login/",
        )
        page = server.get("/admin/login/", Host=PUBLIC_HOST, **{"X-Forwarded-Proto": "https"})
        assert page.status == 200
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("csrftoken=") and "Secure" in cookie
        docs = server.get("/api/docs/", Host=PUBLIC_HOST, **{"X-Forwarded-Proto": "https"})
        # The API docs are served from this origin alone (drf-spectacular-sidecar).
        docs_csp = docs.headers["content-security-policy"]
        assert "script-src 'self';" in docs_csp and "http" not in docs_csp
