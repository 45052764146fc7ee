"""Production settings: the base settings with every insecure default refused.

Start-up fails with one clear message naming each missing variable, instead of running
with a development secret, an open host list or an embedded database.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from cs_platform.settings import *  # noqa: F403
from cs_platform.settings import env, env_secret

_REQUIRED = {
    "DJANGO_SECRET_KEY": "a long random secret (or DJANGO_SECRET_KEY_FILE)",
    "DJANGO_ALLOWED_HOSTS": "comma-separated host names this deployment answers to",
    "DATABASE_URL": "postgres://user:password@host:5432/dbname",
    "REDIS_URL": "redis://host:6379/0",
    "FIELD_ENCRYPTION_SALTS": "comma-separated salts for encrypted fields, newest first",
}


def _missing() -> list[str]:
    missing = []
    for name in _REQUIRED:
        value = env_secret(name) if name == "DJANGO_SECRET_KEY" else env.str(name, default="")
        if not value:
            missing.append(name)
    return missing


_absent = _missing()
if _absent:
    raise ImproperlyConfigured(
        "Production settings refuse to start; missing environment variables: "
        + "; ".join(f"{n} ({_REQUIRED[n]})" for n in _absent)
    )
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):  # noqa: F405
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise ImproperlyConfigured("Production needs PostgreSQL: DATABASE_URL must be postgres://...")

DEBUG = False
CELERY_TASK_ALWAYS_EAGER = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# /healthz and /readyz are probed over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
