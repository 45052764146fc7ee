"""Base settings, driven entirely by the environment through one django-environ object.

With no environment at all this is the embedded default: SQLite, eager Celery and a
local-memory cache. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3, Django's native
pool, server-side statement timeout); ``REDIS_URL`` switches cache and Celery broker to
Redis. Production hardening lives in ``cs_platform.settings.production``. Every variable
read here is listed, with a comment, in ``.env.example``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from cs_platform.core.telemetry.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is a convenience; variables already in the environment win over it.
_env_file = Path(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")))
if _env_file.is_file():
    environ.Env.read_env(str(_env_file), overwrite=False)


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or, for Docker/Kubernetes secrets, the file named by ``NAME_FILE``.

    Setting both is refused: which one wins would be a guess, and a stale value in the
    environment silently shadowing a rotated secret file is exactly the mistake to catch.
    """
    file_path = env.str(f"{name}_FILE", default="")
    if not file_path:
        return env.str(name, default=default)
    if env.str(name, default=""):
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    try:
        return Path(file_path).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}_FILE={file_path} cannot be read: {exc.strerror or exc}"
        ) from exc


def env_secret_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list from ``NAME`` or ``NAME_FILE``."""
    raw = env_secret(name)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded/test fallback only; production.py refuses to start without a real key.
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or "dev-only-insecure-key-change-me"
SECRET_KEY_FALLBACKS = env_secret_list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
# Signs the audit chain's head checkpoints (audit.AuditCheckpoint). It lives outside the
# database so that whoever can rewrite the database cannot re-sign a shortened chain.
# Defaults to a key derived from SECRET_KEY; set it apart to rotate them separately.
AUDIT_CHECKPOINT_KEY = env_secret("AUDIT_CHECKPOINT_KEY") or ""
# Keys the HMACs of erased people's identities (customers.ErasedIdentity), kept outside the
# database so the table cannot be matched against a list of addresses. Defaults to a key
# derived from SECRET_KEY; changing it makes the stored block list match nothing.
GDPR_ERASED_IDENTITY_KEY = env_secret("GDPR_ERASED_IDENTITY_KEY") or ""
# Days a retention report waits between being planned (what would be deleted or
# anonymised) and being applied by the daily task; a manager may confirm it earlier.
GDPR_RETENTION_GRACE_DAYS = env.int("GDPR_RETENTION_GRACE_DAYS", default=7)
# Username of the data-protection officer: owner of the CTAs raised for overdue GDPR
# requests (empty: the CTA keeps the account owner).
GDPR_DPO_USERNAME = env.str("GDPR_DPO_USERNAME", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Demo-only commands (ensure_demo_admin, …) run unless production settings switch them off.
DEMO_COMMANDS_ENABLED = True
# Totals, sorting and value tiers compare ARR converted into this currency (ISO code);
# rates are customers.ExchangeRate rows. Each amount keeps its original currency too.
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="USD").upper()
# Renewal negotiation guardrails (negotiate_renewals): a discount up to the first figure
# (% off the current ARR) is approved as proposed, up to the second it waits for a
# manager, beyond it is refused.
RENEWAL_DISCOUNT_SELF_APPROVE_PCT = env.float("RENEWAL_DISCOUNT_SELF_APPROVE_PCT", default=10.0)
RENEWAL_DISCOUNT_MAX_PCT = env.float("RENEWAL_DISCOUNT_MAX_PCT", default=30.0)
# Customer lifetime value (optimize_customer_lifetime_value): gross margin on ARR, and the
# longest expected lifetime in years (when a segment lost no customer, 1/churn is unbounded).
CLV_GROSS_MARGIN = env.float("CLV_GROSS_MARGIN", default=0.80)
CLV_MAX_YEARS = env.float("CLV_MAX_YEARS", default=10.0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    # Sign-in lock-out after repeated failures (cs_platform/core/signin.py).
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before core, whose admin module unregisters the toolkit's admins (see oauth below).
    "oauth2_provider",
    "cs_platform.core",
    "audit",
    "customers",
    "health",
    "integrations",
    "gdpr",
    "portfolio",
    # Before mcp_server so our `stdio_server` command (with token auth) wins over its own.
    "mcp_bridge",
    "mcp_server",
    "django_prometheus",
]

# What core calls in the apps (cs_platform/core/ports.py): core imports no app, so the
# composition root names the one function that does each.
AUDIT_EVENT_WRITER = "audit.services.audit_event_record"
ACCOUNT_SCOPE = "customers.selectors.account_list_for_actor"
READINESS_CHECKS = {  # name -> check, run in this order by /readyz
    "database": "cs_platform.core.probes.check_database",
    "redis": "cs_platform.core.probes.check_redis",
    "encryption": "integrations.probes.check_encryption_canary",
}

MIDDLEWARE = [
    # Outermost: request counts and latency by view, status and method (django-prometheus).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Probes answer before host validation and the HTTPS redirect, so a load balancer or
    # `docker healthcheck` reaching the pod by IP over plain HTTP gets an answer.
    "cs_platform.core.security.ProbeMiddleware",
    # Request id, one JSON log line per request, 503 for a database outage.
    "cs_platform.core.telemetry.middleware.RequestContextMiddleware",
    # Body size and JSON depth refused before any parser runs (413 / 400, channel's shape).
    "cs_platform.core.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Sends nothing while CONTENT_SECURITY_POLICY is empty (here); production sets it.
    "cs_platform.core.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Answers a locked-out sign-in with 429 (after authentication middleware).
    "axes.middleware.AxesMiddleware",
]

# Request body limits (cs_platform.core.limits): Django's own upload limit is the same
# size, so no body it would refuse gets past the middleware.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
REQUEST_JSON_MAX_DEPTH = env.int("REQUEST_JSON_MAX_DEPTH", default=32)

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
DATABASE_URL = env_secret("DATABASE_URL", default="") or ""
# Seconds to wait for a database connection (libpq connect_timeout) and, with the pool,
# for a pooled connection; /readyz answers within these.
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=3)
DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=5.0)
# After a failed connection attempt, seconds during which this process refuses new
# connections at once (503) instead of waiting DB_POOL_TIMEOUT for each; 0 turns it off.
DB_FAIL_FAST_SECONDS = env.float("DB_FAIL_FAST_SECONDS", default=2.0)
if DATABASE_URL:
    _db = env.db_url_config(DATABASE_URL)
    _password = env_secret("DATABASE_PASSWORD")
    if _password:  # lets the URL stay free of secrets (compose: DATABASE_PASSWORD_FILE)
        _db["PASSWORD"] = _password
    if _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
        # Django's backend plus query, connection and error counters (django-prometheus)
        # and a fail-fast gate while the server is unreachable (cs_platform/core/database).
        _db["ENGINE"] = "cs_platform.core.database"
        _opts = _db.setdefault("OPTIONS", {})
        _opts["connect_timeout"] = DB_CONNECT_TIMEOUT
        # A query sent into a network partition is never acknowledged; drop the connection
        # after this long instead of waiting for the kernel's retransmissions (~15 min).
        # Waiting for a slow answer is unaffected: that is the statement timeout's job.
        _opts["tcp_user_timeout"] = env.int("DB_TCP_USER_TIMEOUT_MS", default=10000)
        # Enforced by the server, so a runaway query dies even if the client hangs.
        _statement_timeout = env.int("DB_STATEMENT_TIMEOUT_MS", default=30000)
        _opts["options"] = " ".join(
            filter(None, [_opts.get("options", ""), f"-c statement_timeout={_statement_timeout}"])
        )
        # The pool (or CONN_MAX_AGE) checks a connection before handing it out, so one
        # killed while idle (database restart, failover) is replaced instead of failing
        # the next request.
        _db["CONN_HEALTH_CHECKS"] = True
        if env.bool("DB_POOL", default=True):
            _opts["pool"] = {
                "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
                "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
                "timeout": DB_POOL_TIMEOUT,
                # psycopg_pool retries a failed connect with exponential backoff for this
                # long (its default is 5 minutes). Kept short so that after an outage the
                # next retry is seconds away, not minutes: the pool recovers on its own.
                "reconnect_timeout": env.float("DB_POOL_RECONNECT_TIMEOUT", default=10.0),
                "max_idle": env.float("DB_POOL_MAX_IDLE", default=600.0),
                "max_lifetime": env.float("DB_POOL_MAX_LIFETIME", default=3600.0),
            }
            _db["CONN_MAX_AGE"] = 0  # the pool owns connection lifetime
        else:
            _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django_prometheus.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, Celery ------------------------------------------------------------
REDIS_URL = env_secret("REDIS_URL", default="") or ""
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=2.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis with hit/miss/failure counters (django-prometheus).
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                # The cache is an optimisation: while Redis is down or restarting a read
                # misses (and goes to the database) and a write is dropped, instead of
                # failing the request. Each ignored error is logged.
                "IGNORE_EXCEPTIONS": True,
            },
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="csp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# get_client_overview answers from Redis, keyed by the account's data version (a write is never
# hidden); entries expire after this many seconds (0: no cache). portfolio/services/overview_cache
OVERVIEW_CACHE_SECONDS = env.int("OVERVIEW_CACHE_SECONDS", default=60)
# The dashboard's sections per book, keyed by a version moved as writers commit
# (portfolio/services/dashboard_cache); 0: no cache.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)

CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
# Inline tasks raise into their caller (tests see failures at once). The embedded run turns
# it off: a task queued on commit runs after the request's writes committed, and its
# failure is recorded on its own row (SyncRun, OutboxMessage) as a worker's would be,
# instead of turning a committed request into an error answer.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=True)
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
# Content-Security-Policy (cs_platform.core.security): none here; production sets one.
CONTENT_SECURITY_POLICY = ""
CONTENT_SECURITY_POLICY_PATHS: dict[str, str] = {}

# --- REST, OpenAPI ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cs_platform.core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "cs_platform.core.api.schema.ApiAutoSchema",
    # JSON refusing what PostgreSQL cannot store (NUL, lone surrogates): a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "cs_platform.core.api.parsers.StorableJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["cs_platform.core.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_THROTTLE_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "cs_platform.core.api.exception_handler",
}
# Whether the OpenAPI document and the API docs pages are open to anyone (default) or only
# to signed-in callers (cs_platform.core.api.docs_access.ApiDocsPermission, read per request).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
SPECTACULAR_SETTINGS = {
    "SERVE_PERMISSIONS": ["cs_platform.core.api.docs_access.ApiDocsPermission"],
    "TITLE": "Customer Success Platform API",
    # The guide on the document's root is cs_platform/core/api/guide.md (document_api).
    "DESCRIPTION": "REST API and tool endpoints of the self-hosted Customer Success platform.",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cs_platform.core.api.schema.document_api",
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, never a CDN:
    # /api/docs/ must work on an install with no internet (cs_platform/core/api/docs.py).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise send the schema to an online validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Stable names for choice sets that share a field name: otherwise drf-spectacular
    # invents hashed names (Status587Enum) that change with the code and break generated
    # API clients, and `check --deploy` warns about them. Add an entry per new collision.
    "ENUM_NAME_OVERRIDES": {
        "FeedbackKindEnum": "health.models.voice.FeedbackKind",
        "FeedbackStatusEnum": "health.models.voice.FeedbackStatus",
        "BulkRowOutcomeEnum": ["created", "updated", "unchanged", "error"],
    },
}

# --- sign-in hardening (cs_platform/core/signin.py) ------------------------------
AUTHENTICATION_BACKENDS = [
    "cs_platform.core.signin.SignInLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# SIGNIN_FAILURE_LIMIT failed sign-ins for one username from one address lock that pair
# out for SIGNIN_LOCKOUT_MINUTES (429); counted in the cache as a hash, nothing stored.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_STR_CALLABLE = "cs_platform.core.signin.client_description"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False  # its tables stay empty with the cache handler

# --- OAuth 2.1 for MCP clients (cs_platform/core/oauth/) -----------------------
# Sign-in for the consent screen is the admin's (staff users).
LOGIN_URL = "admin:login"
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "read the accounts in your book and run read-only tools",
        "write": "change records in your book through the tools, as your role allows",
    },
    "DEFAULT_SCOPES": ["read"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_REFRESH_TOKEN_SECONDS", default=30 * 86400),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token revokes the family
    "REQUEST_APPROVAL_PROMPT": "force",  # the consent screen every time
    # http only to a loopback address (a native client's local callback, RFC 8252 §7.3):
    # the registration view refuses any other http redirect URI.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    # OAuth 2.1 / RFC 9700: authorization code with S256 PKCE only, tokens only in the
    # Authorization header, the issuer in the authorization response, tokens hashed at rest.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "none",
        "client_secret_basic",
        "client_secret_post",
    ],
    # Open dynamic client registration (MCP clients register themselves), rate-limited
    # per address by cs_platform.core.oauth.views.ClientRegistrationView.
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
    # Issuer and resource ids follow the request's origin unless set (behind a proxy that
    # rewrites the host, set both: OAUTH_ISSUER=https://cs.example.com).
    "OIDC_ISS_ENDPOINT": env.str("OAUTH_ISSUER", default=""),
    "OAUTH2_PROTECTED_RESOURCE_NAME": "Customer Success platform MCP tools",
}
OAUTH_REGISTRATIONS_PER_HOUR = env.int("OAUTH_REGISTRATIONS_PER_HOUR", default=30)

# --- MCP --------------------------------------------------------------------
DJANGO_MCP_ENDPOINT = "mcp"
DJANGO_MCP_AUTHENTICATION_CLASSES = [
    "cs_platform.core.oauth.authentication.McpOAuthAuthentication",
    "cs_platform.core.authentication.BearerTokenAuthentication",
]
DJANGO_MCP_GET_SERVER_INSTRUCTIONS_TOOL = False
DJANGO_MCP_GLOBAL_SERVER_CONFIG = {
    "name": "cs-platform",
    "instructions": (
        "Customer Success platform tools. Every answer about data carries `as_of`. "
        "List tools page with `cursor` and `limit`. Mutating tools accept `idempotency_key`. "
        "A tool's description is its summary; its full notes are the resource "
        "cs-platform://tools/<name>. Answers are compact JSON text; /mcp?structured=1 adds "
        "output schemas and structuredContent; /mcp?toolsets=health,support (apps or tool "
        "groups) lists fewer tools."
    ),
    "stateless": True,
}

# --- integrations -----------------------------------------------------------
# django-fernet-encrypted-fields derives its Fernet keys (AES-128-CBC + HMAC-SHA256) from
# SECRET_KEY (+ SECRET_KEY_FALLBACKS) and each salt. The first salt encrypts; every salt
# decrypts, so rotation is: prepend a new salt, run `rotate_field_encryption`, drop the old.
SALT_KEY = env_secret_list("FIELD_ENCRYPTION_SALTS", default=["cs-platform-fields-v1"])
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=3.05)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=15.0)
SANDBOX_PROVIDERS_URL = env.str("SANDBOX_PROVIDERS_URL", default="")
# Breaker per provider: consecutive failures that open it, seconds before a trial call.
PROVIDER_BREAKER_FAIL_MAX = env.int("PROVIDER_BREAKER_FAIL_MAX", default=5)
PROVIDER_BREAKER_RESET_TIMEOUT = env.float("PROVIDER_BREAKER_RESET_TIMEOUT", default=60.0)
# A running sync whose heartbeat is older than this belongs to a dead worker.
SYNC_STALE_AFTER_SECONDS = env.float("SYNC_STALE_AFTER_SECONDS", default=120.0)
SYNC_HEARTBEAT_SECONDS = env.float("SYNC_HEARTBEAT_SECONDS", default=10.0)
SYNC_SOFT_TIME_LIMIT = env.int("SYNC_SOFT_TIME_LIMIT", default=900)
SYNC_TIME_LIMIT = env.int("SYNC_TIME_LIMIT", default=960)
# Outbox (provider calls after commit; docs/ARCHITECTURE.md "Outbox"). A row "sending" for
# longer than the claim timeout belongs to a dead worker (keep it above the delivery task's
# 300 s hard limit); failures are retried with backoff from the base, capped, up to the
# attempt limit; a pending row whose task is this late is handed out again by beat.
OUTBOX_CLAIM_TIMEOUT_SECONDS = env.float("OUTBOX_CLAIM_TIMEOUT_SECONDS", default=330.0)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=1800.0)
OUTBOX_REDRIVE_AFTER_SECONDS = env.float("OUTBOX_REDRIVE_AFTER_SECONDS", default=60.0)
# How long SendGrid's Email Activity feed gets to show a send that may have been accepted
# before the outbox looks for it there (and sends again only if it is absent).
OUTBOX_SENDGRID_SETTLE_SECONDS = env.float("OUTBOX_SENDGRID_SETTLE_SECONDS", default=300.0)

# --- logging, metrics ----------------------------------------------------------
# JSON lines with request/trace/actor/tool context (cs_platform/core/telemetry/logs.py).
LOGGING = logging_config(env.str("LOG_LEVEL", default="INFO"))
# Secret. A bearer token Prometheus may scrape /metrics with, checked without the database
# (so metrics stay readable during a database outage). Staff API tokens work too.
METRICS_BEARER_TOKEN = env_secret("METRICS_BEARER_TOKEN", default="") or ""
PROMETHEUS_LATENCY_BUCKETS = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"),
)  # fmt: skip
