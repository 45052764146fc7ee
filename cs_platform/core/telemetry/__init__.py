"""Operations telemetry: Prometheus metrics from every process, JSON logs with request and
trace ids, and OpenTelemetry traces (off unless ``OTEL_*`` variables switch them on).

Django-free at import (gunicorn's master loads ``gunicorn`` and ``logs`` before any app)."""
