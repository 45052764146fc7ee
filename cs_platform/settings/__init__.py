"""Base settings, driven entirely by the environment through one django-environ object.

With no environment at all this is the embedded default: SQLite, eager Celery and a
local-memory cache. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3, native pool,
server-side statement timeout); ``REDIS_URL`` switches cache and Celery broker to Redis.
Production hardening lives in ``cs_platform.settings.production``.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():  # a local .env is a convenience; the process environment wins
    environ.Env.read_env(str(_env_file), overwrite=False)


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or, for Docker/Kubernetes secrets, the file named by ``NAME_FILE``."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or "dev-only-insecure-key-change-me"
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "cs_platform.core",
    "audit",
    "customers",
    "health",
    "integrations",
    "gdpr",
    # Before mcp_server so our `stdio_server` command (with token auth) wins over its own.
    "mcp_bridge",
    "mcp_server",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cs_platform.urls"
WSGI_APPLICATION = "cs_platform.wsgi.application"
ASGI_APPLICATION = "cs_platform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    _db = env.db_url_config(DATABASE_URL)
    if _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
        _db["ENGINE"] = "django.db.backends.postgresql"
        _opts = _db.setdefault("OPTIONS", {})
        _opts["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=3)
        # Enforced by the server, so a runaway query dies even if the client hangs.
        _opts["options"] = f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=30000)}"
        if env.bool("DB_POOL", default=True):
            _opts["pool"] = {
                "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
                "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
                "timeout": env.float("DB_POOL_TIMEOUT", default=5.0),
            }
            _db["CONN_MAX_AGE"] = 0  # the pool owns connection lifetime
        else:
            _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
            _db["CONN_HEALTH_CHECKS"] = True
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, Celery ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=2.0),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
            },
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="csp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)

# --- auth, i18n, static -----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

# --- REST, OpenAPI ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cs_platform.core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["cs_platform.core.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_THROTTLE_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "cs_platform.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Success Platform API",
    "DESCRIPTION": "REST API and tool endpoints of the self-hosted Customer Success platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- MCP --------------------------------------------------------------------
DJANGO_MCP_ENDPOINT = "mcp"
DJANGO_MCP_AUTHENTICATION_CLASSES = ["cs_platform.core.authentication.BearerTokenAuthentication"]
DJANGO_MCP_GET_SERVER_INSTRUCTIONS_TOOL = False
DJANGO_MCP_GLOBAL_SERVER_CONFIG = {
    "name": "cs-platform",
    "instructions": (
        "Customer Success platform tools. Every answer about data carries `as_of`. "
        "List tools page with `cursor` and `limit`. Mutating tools accept `idempotency_key`."
    ),
    "stateless": True,
}

# --- integrations -----------------------------------------------------------
# django-fernet-encrypted-fields derives its Fernet keys (AES-128-CBC + HMAC-SHA256) from
# SECRET_KEY (+ SECRET_KEY_FALLBACKS) and each salt. The first salt encrypts; every salt
# decrypts, so rotation is: prepend a new salt, run `rotate_field_encryption`, drop the old.
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["cs-platform-fields-v1"])
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=3.05)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=15.0)
SANDBOX_PROVIDERS_URL = env.str("SANDBOX_PROVIDERS_URL", default="")

# --- logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"mcp_server": {"level": "WARNING"}, "mcp": {"level": "WARNING"}},
}
