"""JSON log lines with the request, trace, actor and tool they belong to.

Every process (web, Celery, commands, gunicorn's master) logs through ``JsonFormatter``:
one JSON object per line with ``time``, ``level``, ``logger``, ``message`` and, when
known, ``request_id``, ``trace_id``/``span_id``, ``actor_id``, ``tool``, ``task`` and
``task_id``, plus whatever a call passes in ``extra``.

What must never reach a log: personal data and secrets. Code logs ids, codes and counts,
never names, e-mail addresses or tokens; as a safety net for what slips through (a driver
message quoting a row, an exception's text) the formatter masks e-mail addresses, API
tokens and bearer credentials in the finished line.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

# What the current request or task is about; read by the formatter. Never mutated in
# place: each change sets a new dict, so a reset restores the previous one exactly.
_EMPTY: dict[str, Any] = {}
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("cs_log_context")

CONTEXT_FIELDS = ("request_id", "actor_id", "token_id", "tool", "task", "task_id")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# API tokens are "csp_<8 hex>_<secret>"; any "csp_" followed by token characters is masked.
_TOKEN = re.compile(r"csp_[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+")


def log_context() -> dict[str, Any]:
    return _context.get(_EMPTY)


def log_context_set(**values: Any) -> contextvars.Token:
    """Add ``values`` to the context of everything logged from here on in this request
    or task; returns the token that ``log_context_reset`` takes to undo it."""
    merged = {**_context.get(_EMPTY), **{k: v for k, v in values.items() if v is not None}}
    return _context.set(merged)


def log_context_reset(token: contextvars.Token) -> None:
    _context.reset(token)


@contextmanager
def log_context_bound(**values: Any) -> Iterator[None]:
    token = log_context_set(**values)
    try:
        yield
    finally:
        _context.reset(token)


def scrub(text: str) -> str:
    """Mask e-mail addresses, API tokens and bearer credentials."""
    text = _EMAIL.sub("[email]", text)
    text = _TOKEN.sub("[token]", text)
    return _BEARER.sub(r"\1[credential]", text)


def _trace_ids() -> dict[str, str]:
    try:
        from opentelemetry import trace
    except ImportError:  # the API ships with the app; tolerate a stripped environment
        return {}
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return {}
    return {"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")}


class JsonFormatter(_BaseJsonFormatter):
    """python-json-logger's formatter with our field names, context and scrubbing."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__(fmt or "%(levelname)s %(name)s %(message)s", datefmt, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key, value in _context.get(_EMPTY).items():
            log_data.setdefault(key, value)
        for key, value in _trace_ids().items():
            log_data.setdefault(key, value)
        if record.levelno >= logging.WARNING:
            log_data.setdefault("where", f"{record.module}:{record.lineno}")

    def serialize_log_record(self, log_data: dict[str, Any]) -> str:
        return scrub(super().serialize_log_record(log_data))


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The ``LOGGING`` dict every process uses: JSON to stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "cs_platform.core.telemetry.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "mcp_server": {"level": "WARNING"},
            "mcp": {"level": "WARNING"},
            # One JSON line per request comes from RequestContextMiddleware; Django's own
            # request logger would repeat 4xx/5xx lines without our context.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
            # Third-party clients that log request URLs or bodies at DEBUG stay quiet.
            "urllib3": {"level": "WARNING"},
            "celery": {"level": level},
        },
    }
