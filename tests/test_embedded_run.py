"""`make run` for real: scripts/run_embedded.sh started on free ports, used as a new user
would — the landing page, each persona's sign-in, the README's trigger_sync commands (a
Mixpanel sync on SQLite), e-mail through the sandbox SendGrid and its signed webhook —
and its refusal to start when a port is taken."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
README_SYNC_MARKER = "<!-- trigger_sync example:"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _embedded_env(tmp_path: Path, web_port: int, sandbox_port: int) -> dict[str, str]:
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_ENV_FILE": "/nonexistent/.env",
        # Set on purpose: the embedded mode must ignore a server configuration.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SQLITE_PATH": str(tmp_path / "embedded.sqlite3"),
        "RUN_PORT": str(web_port),
        "SANDBOX_PORT": str(sandbox_port),
        "DEMO_ACCOUNTS": "12",
        "DEMO_ADMIN_PASSWORD_FILE": str(tmp_path / "admin-pw"),
        "DEMO_PASSWORDS_FILE": str(tmp_path / "persona-pws"),
    }


def _sign_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    login_page = session.get(f"{base}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    answer = session.post(
        f"{base}/admin/login/?next=/admin/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/admin/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert (answer.status_code, answer.headers.get("Location")) == (302, "/admin/"), username
    return session


@pytest.mark.parametrize("taken", ["RUN_PORT", "SANDBOX_PORT"])
def test_a_taken_port_stops_the_run_at_once_naming_the_port_and_its_variable(tmp_path, taken):
    env = _embedded_env(tmp_path, _free_port(), _free_port())
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(env[taken])))
        squatter.listen()
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "scripts/run_embedded.sh"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert time.monotonic() - started < 10
    assert f"port {env[taken]} on 127.0.0.1" in result.stderr and "already in use" in result.stderr
    assert f"{taken}=" in result.stderr
    # Nothing was started or written before the refusal.
    assert "== migrate" not in result.stdout and not Path(env["SQLITE_PATH"]).exists()


@pytest.mark.slow
def test_make_run_serves_every_feature_of_the_demo(tmp_path):
    web_port, sandbox_port = _free_port(), _free_port()
    env = _embedded_env(tmp_path, web_port, sandbox_port)
    sqlite_path = Path(env["SQLITE_PATH"])
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        script = subprocess.Popen(
            ["bash", "scripts/run_embedded.sh"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert script.poll() is None, log.read_text()[-3000:]
            try:
                ready = requests.get(f"{base}/readyz", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
        output = log.read_text()
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"database", "encryption"}  # no Redis: embedded
        assert sqlite_path.is_file()
        assert "== demo data: 12 accounts (seed 42)" in output
        with sqlite3.connect(sqlite_path) as db:
            accounts = db.execute("SELECT COUNT(*) FROM customers_account").fetchone()[0]
            # Scored at once (no beat in the embedded mode), with 8 weekly snapshots before.
            snapshots, latest = db.execute(
                "SELECT (SELECT COUNT(*) FROM health_healthscore),"
                " (SELECT COUNT(*) FROM health_latesthealthscore l JOIN health_healthscore h"
                " ON h.id = l.snapshot_id AND h.account_id = l.account_id)"
            ).fetchone()
            # The churn calibration was fitted on the demo's outcomes (12 accounts hold too
            # few: stored as uncalibrated, with the reason).
            fits = db.execute("SELECT status, outcomes, reason FROM health_churncalibration")
            fits = fits.fetchall()
        assert accounts == 12 and (snapshots, latest) == (12 * 9, 12)
        assert "== churn calibration: fitted" in output and len(fits) == 1
        assert fits[0][0] == "calibrated" or fits[0][2], fits
        assert f"== sandbox providers: http://127.0.0.1:{sandbox_port}" in output
        assert _listening(sandbox_port)

        landing = requests.get(f"{base}/", timeout=10)
        assert landing.status_code == 200 and 'href="/admin/"' in landing.text

        _every_persona_signs_in(base, env, output)
        _the_readme_trigger_sync_runs_a_mixpanel_sync(base, env, sqlite_path, sandbox_port)
        _email_goes_out_and_its_signed_events_come_back(base, env, sqlite_path, sandbox_port)
        _tickets_answer_with_their_sla_clocks(base, env, sqlite_path)
    finally:
        script.send_signal(signal.SIGTERM)
        try:
            script.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
    # The script's trap stopped both servers with it.
    time.sleep(0.5)
    assert not _listening(web_port) and not _listening(sandbox_port)


def _every_persona_signs_in(base: str, env: dict[str, str], output: str) -> None:
    admin_password = Path(env["DEMO_ADMIN_PASSWORD_FILE"]).read_text().strip()
    assert f"Admin login (created): {base}/admin/" in output
    assert "username: admin" in output and f"password: {admin_password}" in output
    admin = _sign_in(base, "admin", admin_password)
    assert admin.get(f"{base}/admin/", timeout=10).status_code == 200
    assert admin.get(f"{base}/static/admin/css/base.css", timeout=10).status_code == 200

    # Every persona the README's table names, with the password `make run` printed.
    readme = (REPO / "README.md").read_text()
    for username in ("manager", "csm1", "csm2", "viewer"):
        assert f"`{username}`" in readme, username
    printed = dict(re.findall(r"^\s{4}(manager|csm\d+|viewer)\s+(\S+)\s", output, re.M))
    assert set(printed) == {"manager", "csm1", "csm2", "viewer"}, output[-2000:]
    seen = {}
    for username, password in printed.items():
        session = _sign_in(base, username, password)
        accounts = session.get(f"{base}/admin/customers/account/", timeout=10)
        assert accounts.status_code == 200, username
        seen[username] = int(re.search(r"(\d+) accounts?\b", accounts.text).group(1))
        can_add = session.get(f"{base}/admin/customers/account/add/", timeout=10).status_code
        assert can_add == (403 if username == "viewer" else 200), username
    # A CSM sees their own book; the manager and the viewer see every account.
    assert seen["manager"] == seen["viewer"] == 12
    assert seen["csm1"] + seen["csm2"] == 12 and 0 < seen["csm1"] < 12


def _readme_sync_block() -> str:
    readme = (REPO / "README.md").read_text()
    after = readme[readme.index(README_SYNC_MARKER) :]
    return re.search(r"```bash\n(.*?)```", after, re.S).group(1)


def _the_readme_trigger_sync_runs_a_mixpanel_sync(base, env, sqlite_path, sandbox_port) -> None:
    with sqlite3.connect(sqlite_path) as db:
        connections = dict(
            db.execute("SELECT provider, base_url FROM integrations_connection").fetchall()
        )
        ids = dict(db.execute("SELECT provider, id FROM integrations_connection").fetchall())
    assert connections == {
        p: f"http://127.0.0.1:{sandbox_port}/{p}"
        for p in ("zendesk", "intercom", "mixpanel", "sendgrid")
    }
    # The ids the README names.
    assert ids == {"zendesk": 1, "intercom": 2, "mixpanel": 3, "sendgrid": 4}
    # Exactly as written, only pointed at this run's port, from a shell in the repository
    # that has no server configuration (as in a second terminal next to `make run`).
    block = _readme_sync_block().replace("http://127.0.0.1:8000", base)
    shell_env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=REPO, env=shell_env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # Two JSON answers, back to back (curl -s adds no newline).
    triggered, end = json.JSONDecoder().raw_decode(result.stdout)
    status = json.loads(result.stdout[end:])
    assert triggered["queued"] is True and triggered["run"]["connection_id"] == 3, triggered
    run = status["connections"][0]["runs"][0]
    assert run["id"] == triggered["run"]["id"] and run["status"] == "succeeded", run
    assert run["fetched"] > 0 and run["created"] > 0
    with sqlite3.connect(sqlite_path) as db:
        days = db.execute("SELECT COUNT(*) FROM health_usagedaily WHERE source = 'mixpanel'")
        assert days.fetchone()[0] > 0


def _email_goes_out_and_its_signed_events_come_back(base, env, sqlite_path, sandbox_port):
    secret = subprocess.run(
        [f"{VENV_BIN}/python", "manage.py", "create_api_token", "--user", "csm1",
         "--scopes", "read,write"],
        cwd=REPO, env={k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    with sqlite3.connect(sqlite_path) as db:
        contact_id = db.execute(
            "SELECT c.id FROM customers_contact c JOIN customers_account a ON a.id = c.account_id"
            " JOIN auth_user u ON u.id = a.owner_id WHERE u.username = 'csm1' AND c.email <> ''"
            " ORDER BY c.id LIMIT 1"
        ).fetchone()[0]
    answer = requests.post(
        f"{base}/api/v1/tools/send_personalized_email/",
        json={"contact_id": contact_id, "subject": "Hello {{first_name}}", "body": "Hi."},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    sandbox = f"http://127.0.0.1:{sandbox_port}/_sandbox/sendgrid"
    sent = requests.get(f"{sandbox}/sent", timeout=10).json()["messages"]
    assert len(sent) == 1 and sent[0]["from"]["email"] == "success@cs-platform.demo"
    emitted = requests.post(
        f"{sandbox}/emit",
        json={
            "target_url": f"{base}/webhooks/sendgrid/4/",
            "events": [{"message_id": sent[0]["message_id"], "event": "delivered"}],
        },
        timeout=30,
    ).json()
    assert emitted["status_code"] == 200, emitted["response"]
    with sqlite3.connect(sqlite_path) as db:
        status = db.execute(
            "SELECT status FROM integrations_emailmessage WHERE provider_message_id = ?",
            (sent[0]["message_id"],),
        ).fetchone()
    assert status == ("delivered",)


def _tickets_answer_with_their_sla_clocks(base, env, sqlite_path) -> None:
    """SLA due times are computed in SQL; SQLite has no interval arithmetic of its own."""
    secret = subprocess.run(
        [f"{VENV_BIN}/python", "manage.py", "create_api_token", "--user", "manager",
         "--scopes", "read"],
        cwd=REPO, env={k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    with sqlite3.connect(sqlite_path) as db:
        ticket_id, account_id, minutes = db.execute(
            "SELECT id, account_id, sla_first_response_minutes FROM integrations_supportticket"
            " WHERE sla_first_response_minutes IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
    headers = {"Authorization": f"Bearer {secret}"}
    listed = requests.post(
        f"{base}/api/v1/tools/handle_support_ticket/",
        json={"action": "list", "account_id": account_id}, headers=headers, timeout=60,
    )  # fmt: skip
    assert listed.status_code == 200, listed.text
    got = requests.post(
        f"{base}/api/v1/tools/handle_support_ticket/",
        json={"action": "get", "ticket_id": ticket_id}, headers=headers, timeout=60,
    ).json()  # fmt: skip
    ticket = got.get("ticket", got)
    opened = datetime.fromisoformat(ticket["opened_at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(ticket["sla"]["first_response_due_at"].replace("Z", "+00:00"))
    assert due - opened == timedelta(minutes=minutes)
