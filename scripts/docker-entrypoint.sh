#!/bin/sh
# Container entry point: one image, several roles (docker-compose.yml picks one).
#   web      gunicorn on $LISTEN_ADDRESS:$PORT (0.0.0.0:8000), $WEB_CONCURRENCY sync workers (4)
#   worker   Celery worker on the default, integrations and health queues
#   beat     Celery beat (run exactly one)
#   migrate  apply migrations, then exit
#   manage   any management command: `manage createsuperuser`
# Anything else is executed as given. `exec` hands PID 1 (and SIGTERM) to the server.
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    # Sync workers: measured best on 2 cores (DESIGN.md section 10). /dev/shm keeps the
    # worker heartbeat off a read-only or slow filesystem.
    exec gunicorn cs_platform.wsgi:application \
      --bind "${LISTEN_ADDRESS:-0.0.0.0}:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-4}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout 30 \
      --max-requests "${GUNICORN_MAX_REQUESTS:-2000}" \
      --max-requests-jitter 200 \
      --worker-tmp-dir "${GUNICORN_WORKER_TMP_DIR:-/dev/shm}" \
      --access-logfile - \
      "$@"
    ;;
  worker)
    exec celery -A cs_platform worker \
      --queues "${CELERY_QUEUES:-default,integrations,health}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --loglevel "${LOG_LEVEL:-INFO}" \
      "$@"
    ;;
  beat)
    exec celery -A cs_platform beat \
      --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" \
      --loglevel "${LOG_LEVEL:-INFO}" \
      "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
