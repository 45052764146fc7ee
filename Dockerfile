# syntax=docker/dockerfile:1
# The production image. One image, several roles (scripts/docker-entrypoint.sh):
# web (gunicorn), worker and beat (Celery), migrate. See docs/OPERATIONS.md.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- dependencies: the locked set, in a virtualenv copied into the final stage ----------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --no-deps -r /tmp/requirements.lock

# --- runtime ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=cs_platform.settings.production \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

# A fixed numeric uid/gid, so `runAsNonRoot` and volume ownership can rely on it.
RUN groupadd --system --gid 10001 csp \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin csp

COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# Code and static files stay owned by root: the app user can read but not change them.
COPY . .
# collectstatic needs no secret, so it runs at build time with the base settings.
RUN DJANGO_SETTINGS_MODULE=cs_platform.settings python manage.py collectstatic --noinput -v 0

USER 10001:10001
EXPOSE 8000

# Readiness, not mere liveness: the database answers and is migrated, Redis answers and
# stored secrets decrypt. Exits non-zero on any error, a 503 included.
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=8)"]

ENTRYPOINT ["/bin/sh", "/app/scripts/docker-entrypoint.sh"]
CMD ["web"]
