"""Deployment files, checked without a Docker engine (`make run` itself: test_embedded_run).

docker-compose.yml is parsed with PyYAML (no compose plugin here), the Dockerfile is read
instruction by instruction, and .env.example is compared with the variables the code
really reads.
"""

from __future__ import annotations

import ast
import re
import stat
import subprocess
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEvent

REPO = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY($|_)")


def _required_production_variables() -> list[str]:
    # Read, not imported: importing production settings without its variables raises.
    tree = ast.parse((REPO / "cs_platform" / "settings" / "production.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "REQUIRED_VARIABLES":
            return [key.value for key in node.value.keys]
    raise AssertionError("REQUIRED_VARIABLES not found in production settings")


# --- docker-compose.yml -------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _entrypoint_roles() -> set[str]:
    text = (REPO / "scripts" / "docker-entrypoint.sh").read_text()
    return set(re.findall(r"^\s{2}([a-z]+)\)$", text, flags=re.M))


def test_compose_runs_postgres_redis_web_worker_beat_from_one_image(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert {services[name]["image"] for name in APP_SERVICES} == {
        "${CS_PLATFORM_IMAGE:-cs-platform:latest}"
    }
    assert all(services[name]["build"] == "." for name in APP_SERVICES)
    for name in APP_SERVICES:
        assert services[name]["command"] == [name]
    assert set(APP_SERVICES) <= _entrypoint_roles()
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
        assert "ports" not in services[name]  # reachable only on the compose network
    assert services["web"]["ports"] == ["${WEB_BIND:-127.0.0.1:8000}:8000"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "celery" in " ".join(services["worker"]["healthcheck"]["test"])


def test_compose_app_services_get_production_settings_and_every_required_variable(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "cs_platform.settings.production"
        for variable in _required_production_variables():
            assert variable in environment or f"{variable}_FILE" in environment, (name, variable)
        assert environment["DJANGO_ALLOWED_HOSTS"].startswith("${DJANGO_ALLOWED_HOSTS:?")
        assert environment["FIELD_ENCRYPTION_SALTS"].startswith("${FIELD_ENCRYPTION_SALTS:?")


def test_compose_commits_no_secret_values(compose):
    declared = compose["secrets"]
    for secret in declared.values():
        assert re.fullmatch(r"\$\{[A-Z_]+_PATH:-\./secrets/[a-z_]+\}", secret["file"])
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        for key, value in environment.items():
            value = str(value)
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert value.startswith("/run/secrets/") and secret in declared, (name, key)
                assert secret in service["secrets"], (name, key)
            elif SECRETISH.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:-|:\?)[^}]*\}", value) or value == "", (
                    name,
                    key,
                )
            # No password inside a URL either (interpolations may hold defaults with ':').
            literal = re.sub(r"\$\{[^}]*\}", "x", value)
            assert not re.search(r"://[^/@:\s]+:[^@\s]+@", literal), (name, key)
    assert "POSTGRES_PASSWORD_FILE" in compose["services"]["postgres"]["environment"]
    assert "POSTGRES_PASSWORD:" not in (REPO / "docker-compose.yml").read_text()


def test_secret_and_demo_password_files_are_git_ignored():
    paths = [".demo-admin-password", "secrets/django_secret_key", ".env"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=REPO, capture_output=True, text=True
    )
    assert ignored.stdout.split() == paths, ignored.stderr


# --- Dockerfile, .dockerignore ------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_runs_as_non_root_with_a_readyz_health_check():
    instructions = _dockerfile()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    final = instructions[last_from:]
    users = [args for keyword, args in final if keyword == "USER"]
    assert users, "the final stage must switch to a non-root user"
    uid = users[-1].split(":")[0]
    assert uid not in {"root", "0"} and uid.isdigit()
    useradd = next(args for keyword, args in final if keyword == "RUN" and "useradd" in args)
    assert f"--uid {uid}" in useradd
    # Nothing after USER switches back or installs as root.
    after_user = final[max(i for i, (k, _) in enumerate(final) if k == "USER") :]
    assert [k for k, _ in after_user if k in {"RUN", "USER"}] == ["USER"]

    healthcheck = next(args for keyword, args in final if keyword == "HEALTHCHECK")
    assert "/readyz" in healthcheck and "--timeout=" in healthcheck
    entrypoint = next(args for keyword, args in final if keyword == "ENTRYPOINT")
    assert "/app/scripts/docker-entrypoint.sh" in entrypoint
    assert (REPO / "scripts" / "docker-entrypoint.sh").is_file()
    assert ("CMD", '["web"]') in final


def test_dockerfile_installs_the_lock_on_python_311_and_bakes_in_no_secret():
    instructions = _dockerfile()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim-bookworm") in instructions
    assert any(k == "RUN" and "-r /tmp/requirements.lock" in a for k, a in instructions)
    assert ("COPY", "requirements.lock /tmp/requirements.lock") in instructions
    for keyword, args in instructions:
        if keyword in {"ENV", "ARG"}:
            for name in re.findall(r"([A-Z_]+)=", args):
                assert not SECRETISH.search(name), name
    assert any(
        "DJANGO_SETTINGS_MODULE=cs_platform.settings.production" in args
        for keyword, args in instructions
        if keyword == "ENV"
    )


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    patterns = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (
        ".env",
        "secrets/",
        ".venv",
        ".git",
        "*.sqlite3",
        ".demo-admin-password",
        ".demo-passwords",
    ):
        assert required in patterns, required
    assert "!.env.example" in patterns


def test_shell_scripts_parse():
    for script, shell in (("docker-entrypoint.sh", "sh"), ("run_embedded.sh", "bash")):
        result = subprocess.run([shell, "-n", str(REPO / "scripts" / script)], capture_output=True)
        assert result.returncode == 0, (script, result.stderr)


# --- .env.example ---------------------------------------------------------------------


def _documented_variables() -> dict[str, str]:
    """Each variable in .env.example with the comment block just above its group."""
    documented: dict[str, str] = {}
    comment: list[str] = []
    previous_was_assignment = False
    for line in (REPO / ".env.example").read_text().splitlines():
        assignment = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if assignment:
            documented[assignment.group(1)] = " ".join(comment)
            previous_was_assignment = True
        elif line.startswith("#") and not line.startswith("# ---"):
            if previous_was_assignment:
                comment = []
            comment.append(line.lstrip("# ").strip())
            previous_was_assignment = False
        else:
            comment, previous_was_assignment = [], False
    return documented


def _variables_read_by_settings() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "cs_platform" / "settings").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id == "env" and func.attr in {"str", "bool", "int", "float", "list"}:
                    names.add(first.value)
            elif isinstance(func, ast.Name) and func.id in {"env_secret", "env_secret_list"}:
                names |= {first.value, f"{first.value}_FILE"}
    return names


def _documented_or_secret(name: str, documented: dict[str, str]) -> bool:
    """NAME_FILE needs no line of its own when NAME is documented as a secret."""
    base = name.removesuffix("_FILE")
    return name in documented or (
        name.endswith("_FILE") and documented.get(base, "").startswith("Secret.")
    )


def _variables_read_by_scripts_and_compose() -> set[str]:
    names: set[str] = set()
    for path in ("scripts/docker-entrypoint.sh", "scripts/run_embedded.sh", "docker-compose.yml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:}]", (REPO / path).read_text()))
    return names


def test_env_example_documents_every_variable_read_with_a_comment():
    documented = _documented_variables()
    read = _variables_read_by_settings() | _variables_read_by_scripts_and_compose()
    assert {"DATABASE_URL", "REDIS_URL", "SANDBOX_PROVIDERS_URL", "DB_POOL_TIMEOUT"} <= read
    assert sorted(n for n in read if not _documented_or_secret(n, documented)) == []
    for name, comment in documented.items():
        assert len(comment) >= 10, f"{name} has no comment in .env.example"


def test_env_example_lists_nothing_the_code_does_not_read():
    read_elsewhere = {
        "DJANGO_SETTINGS_MODULE": REPO / "manage.py",
        "CS_PLATFORM_TOKEN": REPO / "mcp_bridge" / "management" / "commands" / "stdio_server.py",
        "CELERY_METRICS_ADDRESS": REPO / "cs_platform" / "core" / "telemetry" / "celery.py",
        **{
            name: REPO / "cs_platform" / "core" / "telemetry" / "tracing.py"
            for name in (
                "OTEL_TRACES_EXPORTER",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "OTEL_SERVICE_NAME",
                "OTEL_SDK_DISABLED",
            )
        },
    }
    for name, path in read_elsewhere.items():
        assert f'"{name}"' in path.read_text()
    read = _variables_read_by_settings() | _variables_read_by_scripts_and_compose()
    assert sorted(set(_documented_variables()) - read - set(read_elsewhere)) == []


# --- ensure_demo_admin ----------------------------------------------------------------


def _ensure(password_file: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ensure_demo_admin", password_file=password_file, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_ensure_demo_admin_creates_the_admin_once_and_prints_the_login_every_time(
    db, fast_hashing, tmp_path
):
    password_file = tmp_path / ".demo-admin-password"
    first, _ = _ensure(password_file)

    password = password_file.read_text().strip()
    assert len(password) >= 20
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.check_password(password)
    assert admin.staff_profile.role == "manager"
    # Written through the user services, audited as the command.
    created = AuditEvent.objects.filter(action="user.create", object_id=str(admin.pk))
    assert created.get().actor_label == "system:ensure_demo_admin"
    assert AuditEvent.objects.filter(action="staff_profile.create").count() == 1
    assert "Admin login (created): http://127.0.0.1:8000/admin/" in first
    assert "username: admin" in first and f"password: {password}" in first

    again, _ = _ensure(password_file)
    assert "Admin login (unchanged)" in again and f"password: {password}" in again
    assert password_file.read_text().strip() == password
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert AuditEvent.objects.filter(actor_label="system:ensure_demo_admin").count() == 2


def test_ensure_demo_admin_reuses_a_kept_password_on_a_fresh_database(db, fast_hashing, tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text("kept-from-an-earlier-run-42\n")
    output, _ = _ensure(password_file)
    assert "password: kept-from-an-earlier-run-42" in output
    assert (
        get_user_model().objects.get(username="admin").check_password("kept-from-an-earlier-run-42")
    )


def test_ensure_demo_admin_sets_a_new_password_when_the_file_is_gone(db, fast_hashing, tmp_path):
    password_file = tmp_path / "pw"
    _ensure(password_file)
    old = password_file.read_text().strip()
    password_file.unlink()

    output, _ = _ensure(password_file)

    new = password_file.read_text().strip()
    assert new != old and f"password: {new}" in output and "(reset)" in output
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(new) and not admin.check_password(old)
    assert AuditEvent.objects.filter(action="user.password_set").count() == 1


def test_ensure_demo_admin_leaves_a_password_someone_chose(db, fast_hashing, tmp_path):
    password_file = tmp_path / "pw"
    _ensure(password_file)
    stored = password_file.read_text()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("chosen-by-a-human-7")
    admin.save()

    output, warning = _ensure(password_file)

    assert "password:" not in output
    assert "no longer the one in" in warning and "changepassword admin" in warning
    admin.refresh_from_db()
    assert admin.check_password("chosen-by-a-human-7")
    assert password_file.read_text() == stored


def test_ensure_demo_admin_is_disabled_by_production_settings(db, settings, tmp_path):
    settings.DEMO_COMMANDS_ENABLED = False
    with pytest.raises(CommandError, match="disabled by these settings"):
        _ensure(tmp_path / "pw")
    assert not get_user_model().objects.filter(username="admin").exists()
    assert not (tmp_path / "pw").exists()
