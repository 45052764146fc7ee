"""Demo-only commands (seed_demo, connect_sandbox, sandbox_providers, ensure_demo_logins,
ensure_demo_admin) refuse to run where DEMO_COMMANDS_ENABLED is off, as production
settings have it, and change nothing; ensure_demo_logins gives the personas sign-ins."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from customers.models import Account
from integrations.models import Connection

REPO = Path(__file__).resolve().parent.parent
DEMO_COMMANDS = {
    "seed_demo": ["--accounts", "3", "--reset"],
    "connect_sandbox": ["--url", "http://127.0.0.1:9"],
    "sandbox_providers": ["--port", "0"],
    "ensure_demo_logins": [],
    "ensure_demo_admin": [],
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(DEMO_COMMANDS))
def test_demo_commands_refuse_when_demo_commands_are_disabled(name, settings, tmp_path):
    Account.objects.create(name="Real Customer", domain="real.example")
    settings.DEMO_COMMANDS_ENABLED = False
    args = list(DEMO_COMMANDS[name])
    if name.startswith("ensure_demo"):
        args += ["--password-file", str(tmp_path / "pw")]
    with pytest.raises(CommandError, match=r"demo-only command|demo command"):
        call_command(name, *args, stdout=StringIO(), stderr=StringIO())
    assert list(Account.objects.values_list("name", flat=True)) == ["Real Customer"]
    assert not Connection.objects.exists()
    assert not get_user_model().objects.exists()
    assert not (tmp_path / "pw").exists()


@pytest.mark.slow  # three Django processes
def test_production_settings_refuse_seed_demo_reset_before_touching_the_database():
    # The database named here does not exist: the refusal must come first.
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_ENV_FILE": "/nonexistent/.env",
        "DJANGO_SETTINGS_MODULE": "cs_platform.settings.production",
        "DJANGO_SECRET_KEY": "demo-commands-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "cs.example.test",
        "DATABASE_URL": "postgres://cs@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "FIELD_ENCRYPTION_SALTS": "salt-v1",
    }
    for name in ("seed_demo", "connect_sandbox", "sandbox_providers"):
        result = subprocess.run(
            [sys.executable, "manage.py", name, *DEMO_COMMANDS[name]],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert f"{name} is a demo-only command" in result.stderr, result.stderr
        assert "DEMO_COMMANDS_ENABLED" in result.stderr
        assert "Traceback" not in result.stderr


# --- ensure_demo_logins ------------------------------------------------------------


def _logins(password_file: Path) -> str:
    out = StringIO()
    call_command("ensure_demo_logins", password_file=password_file, stdout=out)
    return out.getvalue()


def _kept(password_file: Path) -> dict[str, str]:
    lines = password_file.read_text().splitlines()
    return dict(line.split() for line in lines if not line.startswith("#"))


@pytest.fixture
def personas(db):
    from portfolio.seed.users import demo_staff_ensure

    return demo_staff_ensure(csm_count=2)


def test_each_persona_gets_a_kept_password_it_can_sign_in_with(
    personas, fast_hashing, tmp_path, client
):
    password_file = tmp_path / ".demo-passwords"
    output = _logins(password_file)

    kept = _kept(password_file)
    assert list(kept) == ["manager", "csm1", "csm2", "viewer"]
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert len(set(kept.values())) == 4 and all(len(p) >= 16 for p in kept.values())
    for username, password in kept.items():
        assert re.search(rf"^\s+{username}\s+{re.escape(password)}\s+\S", output, re.M), output
        assert client.login(username=username, password=password), username
        client.logout()
    # Through the user services, audited as the command.
    set_by_command = AuditEvent.objects.filter(
        action="user.password_set", actor_label="system:ensure_demo_logins"
    )
    assert set_by_command.count() == 4
    audited = AuditEvent.objects.filter(actor_label="system:ensure_demo_logins").values_list(
        "changes", flat=True
    )
    assert not any(p in str(changes) for changes in audited for p in kept.values())

    again = _logins(password_file)
    assert _kept(password_file) == kept and again == output
    assert set_by_command.count() == 4


def test_a_kept_password_is_reused_on_a_fresh_database_and_a_chosen_one_left_alone(
    personas, fast_hashing, tmp_path
):
    password_file = tmp_path / "pw"
    password_file.write_text("manager kept-from-an-earlier-run-42\n")
    users = get_user_model().objects
    viewer = users.get(username="viewer")
    viewer.set_password("chosen-by-a-human-7")
    viewer.save()

    _logins(password_file)
    assert users.get(username="manager").check_password("kept-from-an-earlier-run-42")
    # No kept password for the viewer: it gets one (as the admin's does when its file is gone).
    assert users.get(username="viewer").check_password(_kept(password_file)["viewer"])

    viewer = users.get(username="viewer")
    viewer.set_password("chosen-by-a-human-7")
    viewer.save()
    output = _logins(password_file)
    assert users.get(username="viewer").check_password("chosen-by-a-human-7")
    assert "viewer" in output and "changed by someone" in output


def test_no_personas_before_the_seed(db, tmp_path):
    output = _logins(tmp_path / "pw")
    assert "seed_demo" in output and not (tmp_path / "pw").exists()
