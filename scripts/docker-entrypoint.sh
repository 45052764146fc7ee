#!/bin/sh
# Container entry point: one image, several roles (docker-compose.yml picks one).
#   web      gunicorn on $LISTEN_ADDRESS:$PORT (0.0.0.0:8000), $WEB_CONCURRENCY sync workers (4)
#   worker   Celery worker on $CELERY_QUEUES (default, integrations, health), /metrics on :9808
#   beat     Celery beat (run exactly one)
#   migrate  apply migrations, then exit
#   manage   any management command: `manage createsuperuser`
# Anything else is executed as given. `exec` hands PID 1 (and SIGTERM) to the server.
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

# Metrics: each server's processes write their samples into one directory that a scrape
# aggregates (emptied when gunicorn or the worker starts). Kubernetes mounts an emptyDir.
metrics_dir() {
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus-$1}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
}

case "$role" in
  web)
    # Sync workers: measured best on 2 cores (DESIGN.md section 10). /dev/shm keeps the
    # worker heartbeat off a read-only or slow filesystem. Requests are logged as JSON by
    # the app (with request id and actor), so gunicorn's access log stays off.
    metrics_dir web
    exec gunicorn cs_platform.wsgi:application \
      --config python:cs_platform.gunicorn_conf \
      --bind "${LISTEN_ADDRESS:-0.0.0.0}:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-4}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout 30 \
      --max-requests "${GUNICORN_MAX_REQUESTS:-2000}" \
      --max-requests-jitter 200 \
      --worker-tmp-dir "${GUNICORN_WORKER_TMP_DIR:-/dev/shm}" \
      "$@"
    ;;
  worker)
    # The worker serves its own /metrics (task outcomes, syncs, provider calls, recomputes).
    metrics_dir worker
    export CELERY_METRICS_PORT="${CELERY_METRICS_PORT:-9808}"
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
