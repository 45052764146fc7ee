"""Production settings: the base settings with every insecure default refused.

Start-up fails with one clear message naming each missing variable, instead of running
with a development secret, an open host list or an embedded database. With the required
variables set, ``manage.py check --deploy --fail-level WARNING`` passes (tested in
tests/test_platform_settings.py).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from cs_platform.settings import *  # noqa: F403
from cs_platform.settings import csp, env, env_secret

# name -> what to put there.
REQUIRED_VARIABLES = {
    "DJANGO_SECRET_KEY": "at least 50 random characters",
    "DJANGO_ALLOWED_HOSTS": "comma-separated host names this deployment answers to",
    "DATABASE_URL": "postgres://user@host:5432/dbname (password here or in DATABASE_PASSWORD)",
    "REDIS_URL": "redis://host:6379/0",
    "FIELD_ENCRYPTION_SALTS": "comma-separated salts for encrypted fields, newest first",
}
# The ones the base settings read through env_secret, so NAME_FILE works for them.
SECRET_VARIABLES = {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_SALTS"}


def _missing_variables() -> list[str]:
    def is_set(name: str) -> bool:
        return bool(env_secret(name) if name in SECRET_VARIABLES else env.str(name, default=""))

    return [name for name in REQUIRED_VARIABLES if not is_set(name)]


_absent = _missing_variables()
if _absent:
    raise ImproperlyConfigured(
        "Production settings refuse to start; missing environment variables: "
        + "; ".join(f"{name} ({REQUIRED_VARIABLES[name]})" for name in _absent)
        + ". Secrets may come from a file named in <NAME>_FILE instead. See .env.example."
    )
if len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):  # noqa: F405
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be at least 50 random characters; generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )
if DATABASES["default"]["ENGINE"] != "cs_platform.core.database":  # noqa: F405
    raise ImproperlyConfigured("Production needs PostgreSQL: DATABASE_URL must be postgres://...")
if env.str("CS_TODAY", default=""):
    raise ImproperlyConfigured(
        "CS_TODAY moves the project clock for tests and demos; a deployment runs on real time."
    )
if "*" in ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the hosts, not '*'.")

DEBUG = False
DEMO_COMMANDS_ENABLED = False
CELERY_TASK_ALWAYS_EAGER = False

# TLS is terminated by the reverse proxy in front; it must set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (cs_platform.core.security; the defaults and why they are what
# they are: cs_platform/settings/csp.py). The API docs get their own policy; point
# DJANGO_CSP_API_DOCS at an empty string to serve them with the default policy instead.
CONTENT_SECURITY_POLICY = env.str("DJANGO_CSP", default=csp.DEFAULT_POLICY)
_api_docs_policy = env.str("DJANGO_CSP_API_DOCS", default=csp.API_DOCS_POLICY)
CONTENT_SECURITY_POLICY_PATHS = dict.fromkeys(csp.API_DOCS_PATHS, _api_docs_policy)
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1  # noqa: F405
MIDDLEWARE = [  # noqa: F405
    *MIDDLEWARE[:_after_security],  # noqa: F405
    # Serves the collected admin/API-docs assets from the app itself (no proxy needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_after_security:],  # noqa: F405
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# The OAuth toolkit warns that http redirect URIs are allowed: they are, for loopback
# addresses only (native MCP clients' local callbacks, RFC 8252 §7.3), which the client
# registration view enforces (cs_platform.core.oauth.views); no other way creates clients.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]
