"""OpenTelemetry traces: off unless the standard ``OTEL_*`` variables switch them on.

Tracing starts when ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``) or
an OTLP endpoint is set (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), and never with ``OTEL_SDK_DISABLED=true`` or
``OTEL_TRACES_EXPORTER=none``. Everything else is the SDK's own reading of the standard
variables: ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``,
``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_BSP_*``.

One trace covers a Django request, its SQL (psycopg), its outbound HTTP (requests: the
provider calls) and the Celery tasks it queued (the context travels in the message
headers), down to the task's own SQL and HTTP. Spans carry SQL templates, never bound
parameters, and URLs without query strings are not guaranteed by the requests
instrumentation, so provider clients keep credentials out of URLs (they send headers).

Call ``tracing_configure_from_env`` once per process *after* forking (gunicorn workers
import the WSGI module after the fork; Celery children call it from
``worker_process_init``): the batch exporter's thread does not survive a fork.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

_configured = False


def tracing_requested(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    return bool(exporter or endpoint)


def _exporters(names: str) -> list[Any]:
    exporters: list[Any] = []
    for name in filter(None, (n.strip().lower() for n in (names or "otlp").split(","))):
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        else:
            logger.warning("OTEL_TRACES_EXPORTER names an unsupported exporter: %s", name)
    return exporters


def tracing_configure(*, exporter: Any = None, default_service: str = "cs-platform") -> bool:
    """Install a tracer provider and the instrumentations. ``exporter`` (a test's
    in-memory exporter) is attached with a synchronous processor; without it the
    exporters come from ``OTEL_TRACES_EXPORTER``. Idempotent per process."""
    global _configured
    if _configured:
        return True
    from opentelemetry import trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: default_service}
    provider = TracerProvider(resource=Resource.create(attributes))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        for each in _exporters(os.environ.get("OTEL_TRACES_EXPORTER", "")):
            provider.add_span_processor(BatchSpanProcessor(each))
    trace.set_tracer_provider(provider)
    _instrument(provider)
    _configured = True
    return True


def tracing_configure_from_env(*, default_service: str = "cs-platform") -> bool:
    """Switch tracing on when the ``OTEL_*`` variables ask for it; else do nothing."""
    if not tracing_requested():
        return False
    return tracing_configure(default_service=default_service)


def _instrument(provider: Any) -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    # Django's middleware is added to settings.MIDDLEWARE, so this must run before the
    # WSGI/ASGI handler is built.
    DjangoInstrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    RequestsInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)
