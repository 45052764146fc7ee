"""Settings from the environment: run modes, production refusals, *_FILE secrets, CSP.

Settings are read once per process, so each case runs in a subprocess with exactly the
environment it names (nothing inherited from the test run, no .env file).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from cs_platform.core.security import csp_policy_for_path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SECRET = "settings-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-QWERTY"
# The server the suite uses, database `postgres` (always there; the test only reads).
PG_URL = (
    urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/cs_platform")
    ._replace(path="/postgres")
    .geturl()
)

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "cs_platform.settings.production",
    "DJANGO_SECRET_KEY": SECRET,
    "DJANGO_ALLOWED_HOSTS": "cs.example.test",
    "DATABASE_URL": "postgres://cs@db.internal:5432/cs",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "FIELD_ENCRYPTION_SALTS": "salt-v1",
}

DUMP = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "password": db.get("PASSWORD", ""),
    "options": db.get("OPTIONS", {}), "conn_max_age": db.get("CONN_MAX_AGE"),
    "health_checks": db.get("CONN_HEALTH_CHECKS"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "cache_options": settings.CACHES["default"].get("OPTIONS", {}),
    "broker": settings.CELERY_BROKER_URL, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "secret_key": settings.SECRET_KEY, "fallbacks": settings.SECRET_KEY_FALLBACKS,
    "salts": settings.SALT_KEY, "debug": settings.DEBUG,
}))
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    full_env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_ENV_FILE": "/nonexistent/.env",
        "DJANGO_SETTINGS_MODULE": "cs_platform.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=60
    )


def _settings(**env: str) -> dict:
    result = _run(["-c", DUMP], **env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_environment_means_sqlite_eager_celery_and_local_memory_cache():
    seen = _settings()
    # Django's backends wrapped by django-prometheus (query and cache counters).
    assert seen["engine"] == "django_prometheus.db.backends.sqlite3"
    assert seen["name"] == str(REPO / "db.sqlite3")
    assert seen["cache"] == "django_prometheus.cache.backends.locmem.LocMemCache"
    assert (seen["broker"], seen["eager"]) == ("memory://", True)
    assert seen["debug"] is False


def test_database_url_means_postgresql_with_the_native_pool_and_timeouts():
    seen = _settings(
        DATABASE_URL="postgres://cs:pw@db.internal:5433/cs",
        DB_POOL_MIN_SIZE="2",
        DB_POOL_MAX_SIZE="7",
        DB_POOL_TIMEOUT="4.5",
        DB_CONNECT_TIMEOUT="6",
        DB_STATEMENT_TIMEOUT_MS="1234",
    )
    assert seen["engine"] == "cs_platform.core.database"
    options = seen["options"]
    assert options["pool"] == {
        "min_size": 2,
        "max_size": 7,
        "timeout": 4.5,
        "reconnect_timeout": 10.0,
        "max_idle": 600.0,
        "max_lifetime": 3600.0,
    }
    assert options["connect_timeout"] == 6
    assert options["tcp_user_timeout"] == 10000
    assert options["options"] == "-c statement_timeout=1234"
    # The pool must own connection lifetime, and check a connection before lending it.
    assert (seen["conn_max_age"], seen["health_checks"]) == (0, True)
    # Without REDIS_URL the rest stays embedded.
    assert seen["cache"].endswith("LocMemCache") and seen["eager"] is True


def test_db_pool_false_uses_checked_persistent_connections():
    seen = _settings(DATABASE_URL="postgres://cs@db.internal/cs", DB_POOL="false")
    assert "pool" not in seen["options"]
    assert (seen["conn_max_age"], seen["health_checks"]) == (60, True)


def test_redis_url_means_redis_cache_and_celery_broker():
    seen = _settings(REDIS_URL="redis://redis.internal:6379/4")
    assert seen["cache"] == "django_prometheus.cache.backends.redis.RedisCache"
    assert seen["cache_location"] == "redis://redis.internal:6379/4"
    # A Redis outage turns cache reads into misses instead of failed requests.
    assert seen["cache_options"]["IGNORE_EXCEPTIONS"] is True
    assert (seen["broker"], seen["eager"]) == ("redis://redis.internal:6379/4", False)


@pytest.mark.slow
def test_statement_timeout_and_pool_are_live_on_postgresql():
    # A real connection through the pool: PostgreSQL itself cancels the slow statement.
    code = (
        "import django, json; django.setup()\n"
        "from django.db import connection, OperationalError\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW statement_timeout'); timeout = c.fetchone()[0]\n"
        "    try:\n"
        "        c.execute('SELECT pg_sleep(2)'); cancelled = ''\n"
        "    except OperationalError as exc:\n"
        "        cancelled = str(exc)\n"
        "print(json.dumps({'timeout': timeout, 'cancelled': cancelled,\n"
        "    'pool_max': connection.pool.max_size, 'pool_timeout': connection.pool.timeout}))\n"
    )
    result = _run(
        ["-c", code], DATABASE_URL=PG_URL, DB_STATEMENT_TIMEOUT_MS="200", DB_POOL_MAX_SIZE="3"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["timeout"] == "200ms"
    assert "canceling statement due to statement timeout" in seen["cancelled"]
    assert (seen["pool_max"], seen["pool_timeout"]) == (3, 5.0)


def test_the_test_run_itself_has_the_statement_timeout(db):
    if connection.vendor != "postgresql":
        pytest.fail("the suite runs on PostgreSQL: set DATABASE_URL (make test does)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


def test_production_settings_pass_check_deploy_without_warnings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    # One check is silenced, with its reason in production.py: the OAuth toolkit's
    # warning that http redirect URIs exist (loopback callbacks of native MCP clients only).
    assert "System check identified no issues (1 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_secrets_from_files_pass_check_deploy(tmp_path):
    key_file = tmp_path / "django_secret_key"
    key_file.write_text(SECRET + "\n")
    password_file = tmp_path / "postgres_password"
    password_file.write_text("s3cr3t from a file\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    env |= {
        "DJANGO_SECRET_KEY_FILE": str(key_file),
        "DATABASE_PASSWORD_FILE": str(password_file),
    }
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode == 0, result.stderr
    seen = _settings(**env)
    assert (seen["secret_key"], seen["password"]) == (SECRET, "s3cr3t from a file")
    assert (seen["debug"], seen["eager"]) == (False, False)


@pytest.mark.parametrize("missing", sorted(PRODUCTION.keys() - {"DJANGO_SETTINGS_MODULE"}))
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _run(["-c", "import cs_platform.settings.production"], **env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: Production")
    assert f"missing environment variables: {missing} (" in last_line


def test_manage_py_refuses_with_the_names_of_every_missing_variable():
    env = {k: v for k, v in PRODUCTION.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = _run(["manage.py", "check", "--deploy"], **env)
    assert result.returncode != 0
    assert "missing environment variables: DATABASE_URL (" in result.stderr
    assert "; REDIS_URL (" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY must be at least 50"),
        ({"DJANGO_SECRET_KEY": "dev-only-" + "x" * 60}, "DJANGO_SECRET_KEY must be at least 50"),
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "Production needs PostgreSQL"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "must name the hosts, not '*'"),
        ({"DJANGO_SECRET_KEY_FILE": "/nonexistent/key"}, "Set either DJANGO_SECRET_KEY or"),
        # Host names are not a secret: no _FILE variant, so it does not count.
        (
            {"DJANGO_ALLOWED_HOSTS": "", "DJANGO_ALLOWED_HOSTS_FILE": "/etc/hostname"},
            "missing environment variables: DJANGO_ALLOWED_HOSTS (",
        ),
    ],
    ids=["short-key", "dev-key", "sqlite", "any-host", "key-and-key-file", "hosts-file"],
)
def test_production_refuses_insecure_values(overrides, message):
    result = _run(["-c", "import cs_platform.settings.production"], **(PRODUCTION | overrides))
    assert result.returncode != 0
    assert message in result.stderr


def test_an_unreadable_secret_file_is_named():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SECRET_KEY_FILE"] = "/nonexistent/key"
    result = _run(["-c", "import cs_platform.settings.production"], **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FILE=/nonexistent/key cannot be read" in result.stderr


def test_csp_policy_picks_the_longest_matching_prefix():
    by_prefix = {"/api/": "api", "/api/docs/": "docs", "/empty/": ""}
    assert csp_policy_for_path("/api/docs/x", "default", by_prefix) == "docs"
    assert csp_policy_for_path("/api/v1/tools/", "default", by_prefix) == "api"
    assert csp_policy_for_path("/admin/", "default", by_prefix) == "default"
    assert csp_policy_for_path("/empty/page", "default", by_prefix) == "default"


CSP_DUMP = """
import json
from django.conf import settings
print(json.dumps({
    "default": settings.CONTENT_SECURITY_POLICY,
    "paths": settings.CONTENT_SECURITY_POLICY_PATHS,
    "middleware": settings.MIDDLEWARE,
}))
"""


def test_production_serves_the_api_docs_from_this_origin_only():
    result = _run(["-c", f"import django; django.setup(); {CSP_DUMP}"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    csp = json.loads(result.stdout)
    assert set(csp["paths"]) == {"/api/docs/", "/api/redoc/"}
    for policy in (csp["default"], *csp["paths"].values()):
        assert "script-src 'self';" in policy and "http" not in policy
        assert "unsafe-eval" not in policy
    assert csp["middleware"].count("cs_platform.core.security.ContentSecurityPolicyMiddleware") == 1
    # The base settings run the same middleware with no policy: no header at all.
    base = _run(["-c", f"import django; django.setup(); {CSP_DUMP}"])
    assert json.loads(base.stdout)["default"] == ""
