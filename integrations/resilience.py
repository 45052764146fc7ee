"""The one resilient-call helper for every provider request (DESIGN.md section 7).

``provider_request`` adds to ``requests``: explicit (connect, read) timeouts, retries with
exponential backoff and full jitter, ``Retry-After``, a circuit breaker per provider whose
state lives in Redis (so every web and worker process fails fast together), typed errors
from ``integrations.errors`` and Prometheus metrics for every attempt.

What the breaker counts as a failure: 5xx, timeouts, connection errors and a 429 that is
still there after the last retry. A 4xx is the caller's mistake, not the provider's
health, so it never trips the breaker (pybreaker records it as a success).
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pybreaker
import requests
from django.conf import settings

from cs_platform.core import clock
from cs_platform.core.telemetry import metrics
from integrations.errors import (
    ProviderAuthError,
    ProviderClientError,
    ProviderConnectionError,
    ProviderError,
    ProviderRateLimited,
    ProviderServerError,
    ProviderTimeout,
    ProviderUnavailable,
)

logger = logging.getLogger(__name__)

DEFAULT_FAIL_MAX = 5
DEFAULT_RESET_TIMEOUT = 60.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Retried whatever the method: the provider did not act on the request.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
_REDIS_RETRY_SECONDS = 30.0


# Created once per process by name (a re-imported module gets the same collectors).
# ``outcome`` is the attempt's status class: success, client_error, rate_limited,
# server_error, timeout, connection_error, invalid_request, or breaker_open (not sent).
CALLS = metrics.counter(
    "cs_provider_calls_total", "Provider call attempts by outcome", ["provider", "outcome"]
)
CALL_SECONDS = metrics.histogram(
    "cs_provider_call_seconds", "Duration of provider call attempts", ["provider"]
)


# --- breakers -------------------------------------------------------------------------


class _Breaker(pybreaker.CircuitBreaker):
    """pybreaker holds its lock for the whole guarded call, which would serialise every
    request to one provider inside a process (a slow export blocking a ticket update).
    The state lives in shared storage anyway, so the lock buys no consistency."""

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        return self.state.call(func, *args, **kwargs)


@dataclass(frozen=True)
class BreakerState:
    provider: str
    state: str  # "closed" | "open" | "half-open"
    failures: int
    fail_max: int
    reset_timeout: float
    opened_at: datetime | None
    shared: bool  # True when the state lives in Redis

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["opened_at"] = self.opened_at.isoformat() if self.opened_at else None
        return data


_lock = threading.Lock()
_breakers: dict[tuple[str, str], _Breaker] = {}  # (namespace, provider)
_memory_fallback_until: dict[tuple[str, str], float] = {}
_redis_client: Any = None


def _redis() -> Any:
    global _redis_client
    if _redis_client is None:
        import redis

        # pybreaker decodes bytes itself: a decode_responses=True client breaks it.
        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=False,
            socket_connect_timeout=1.0,
            socket_timeout=1.0,
        )
    return _redis_client


def _storage(key: tuple[str, str]) -> pybreaker.CircuitBreakerStorage:
    if not settings.REDIS_URL:
        return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    import redis

    namespace, provider = key
    try:
        storage = pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, _redis(), namespace=f"{namespace}:{provider}"
        )
    except redis.RedisError:
        # Calls must keep working while Redis is down; the breaker is then per process
        # until Redis answers again (retried every _REDIS_RETRY_SECONDS).
        logger.warning("redis unavailable; the %s breaker is process-local for now", provider)
        _memory_fallback_until[key] = time.monotonic() + _REDIS_RETRY_SECONDS
        return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    _memory_fallback_until.pop(key, None)
    return storage


def _namespace() -> str:
    return getattr(settings, "PROVIDER_BREAKER_NAMESPACE", "cs:breaker")


def get_breaker(provider: str) -> pybreaker.CircuitBreaker:
    """The process's breaker for ``provider``, created on first use.

    ``fail_max`` and ``reset_timeout`` come from settings ``PROVIDER_BREAKERS[provider]``
    (a dict), else ``PROVIDER_BREAKER_FAIL_MAX`` / ``PROVIDER_BREAKER_RESET_TIMEOUT``,
    else 5 and 60 s; ``configure_breaker`` overrides them at run time. Redis keys live
    under settings ``PROVIDER_BREAKER_NAMESPACE`` (default ``cs:breaker``), so
    deployments or test workers sharing one Redis keep separate breakers.
    """
    key = (_namespace(), provider)
    with _lock:
        breaker = _breakers.get(key)
        retry_at = _memory_fallback_until.get(key)
        if breaker is not None and (retry_at is None or time.monotonic() < retry_at):
            return breaker
        overrides = getattr(settings, "PROVIDER_BREAKERS", {}).get(provider, {})
        breaker = _Breaker(
            fail_max=overrides.get(
                "fail_max", getattr(settings, "PROVIDER_BREAKER_FAIL_MAX", DEFAULT_FAIL_MAX)
            ),
            reset_timeout=overrides.get(
                "reset_timeout",
                getattr(settings, "PROVIDER_BREAKER_RESET_TIMEOUT", DEFAULT_RESET_TIMEOUT),
            ),
            state_storage=_storage(key),
            exclude=[_not_counted],
            name=provider,
            # The call that trips the breaker raises its real error; later calls get
            # CircuitBreakerError (mapped to ProviderUnavailable).
            throw_new_error_on_trip=False,
        )
        _breakers[key] = breaker
        return breaker


def configure_breaker(
    provider: str, *, fail_max: int | None = None, reset_timeout: float | None = None
) -> None:
    """Override this process's thresholds for ``provider`` (the state stays shared)."""
    breaker = get_breaker(provider)
    if fail_max is not None:
        breaker.fail_max = fail_max
    if reset_timeout is not None:
        breaker.reset_timeout = reset_timeout


def breaker_state(provider: str) -> BreakerState:
    """The breaker's state as every process sees it (read from Redis when configured)."""
    breaker = get_breaker(provider)
    storage = breaker._state_storage
    return BreakerState(
        provider=provider,
        state=breaker.current_state,
        failures=breaker.fail_counter,
        fail_max=breaker.fail_max,
        reset_timeout=float(breaker.reset_timeout),
        opened_at=storage.opened_at if breaker.current_state != pybreaker.STATE_CLOSED else None,
        shared=isinstance(storage, pybreaker.CircuitRedisStorage),
    )


def breaker_storage_ping() -> None:
    """Raise ``redis.RedisError`` when the shared breaker storage does not answer."""
    if settings.REDIS_URL:
        _redis().ping()


def reset_breaker(provider: str) -> None:
    """Close ``provider``'s breaker and zero its counters, for every process."""
    get_breaker(provider).close()


def reset_all_breakers() -> None:
    """Reset every breaker this process has created (tests, operator tooling)."""
    with _lock:
        providers = {provider for _, provider in _breakers}
    for provider in providers:
        reset_breaker(provider)


# --- the call -----------------------------------------------------------------------


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - clock.now()).total_seconds())


def _excerpt(response: requests.Response) -> str:
    try:
        return response.text[:500]
    except (requests.RequestException, UnicodeDecodeError):
        return ""
    finally:
        response.close()


def _was_sent(exc: requests.RequestException) -> bool:
    """False when the connection failed before the request left (refused, connect
    timeout): only then is a non-idempotent request safe to repeat."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return type(reason).__name__ not in {"NewConnectionError", "ConnectTimeoutError"}


class _Failed(Exception):
    """A failed attempt, raised through the breaker. ``counts``: whether the breaker sees
    it as ill health; ``safe_to_repeat``: whether this method may be sent again."""

    def __init__(self, error: ProviderError, *, counts: bool, safe_to_repeat: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.counts = counts
        self.safe_to_repeat = safe_to_repeat


def _not_counted(exc: BaseException) -> bool:
    return isinstance(exc, _Failed) and not exc.counts


def _attempt(
    provider: str,
    http: Any,
    method: str,
    url: str,
    timeout: tuple[float, float],
    idempotent: bool,
    last: bool,
    kwargs: dict[str, Any],
) -> requests.Response:
    started = time.perf_counter()
    outcome = "invalid_request"
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        outcome = "timeout"
        sent = not isinstance(exc, requests.exceptions.ConnectTimeout)
        error: ProviderError = ProviderTimeout(provider, f"{method} timed out: {exc}")
        error.maybe_processed = sent
        raise _Failed(error, counts=True, safe_to_repeat=idempotent or not sent) from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        outcome = "connection_error"
        error = ProviderConnectionError(provider, f"{method} connection failed: {exc}")
        error.maybe_processed = _was_sent(exc)
        repeat = idempotent or not error.maybe_processed
        raise _Failed(error, counts=True, safe_to_repeat=repeat) from exc
    except (requests.RequestException, TypeError, ValueError) as exc:
        # A bad URL or argument is our bug, not the provider's health.
        error = ProviderClientError(provider, f"invalid request: {exc}")
        raise _Failed(error, counts=False, safe_to_repeat=False) from exc
    else:
        status = response.status_code
        if status == 429:
            outcome = "rate_limited"
            if last:  # retries exhausted: now it is a failure the breaker sees
                error = _rate_limited(provider, response)
                raise _Failed(error, counts=True, safe_to_repeat=True)
        elif status >= 500:
            outcome = "server_error"
            error = ProviderServerError(
                provider,
                f"HTTP {status}",
                status=status,
                body_excerpt=_excerpt(response),
                retry_after=_parse_retry_after(response.headers.get("Retry-After")),
            )
            error.maybe_processed = status not in _NOT_PROCESSED_STATUSES
            repeat = idempotent or not error.maybe_processed
            raise _Failed(error, counts=True, safe_to_repeat=repeat)
        elif status >= 400:
            outcome = "client_error"
        else:
            outcome = "success"
        return response
    finally:
        CALL_SECONDS.labels(provider).observe(time.perf_counter() - started)
        CALLS.labels(provider, outcome).inc()


def _retry_delay(
    error: ProviderError, attempt: int, base_delay: float, max_delay: float
) -> float | None:
    """Seconds to sleep before the next attempt, or None when we must not wait that long."""
    delay = random.uniform(0, min(max_delay, base_delay * 2**attempt))
    if error.retry_after is not None:
        if error.retry_after > max_delay:
            return None
        delay = max(delay, error.retry_after)
    return delay


def _rate_limited(provider: str, response: requests.Response) -> ProviderRateLimited:
    return ProviderRateLimited(
        provider,
        "HTTP 429",
        status=429,
        retry_after=_parse_retry_after(response.headers.get("Retry-After")),
        body_excerpt=_excerpt(response),
    )


def provider_request(
    provider: str,
    method: str,
    url: str,
    *,
    session: requests.Session | None = None,
    timeout: tuple[float, float] | None = None,
    max_attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    idempotent: bool | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one logical request to ``provider`` and return its 2xx/3xx response.

    Retries 5xx, timeouts, connection errors and 429 up to ``max_attempts`` attempts in
    all, sleeping ``uniform(0, min(max_delay, base_delay * 2**attempt))`` or at least the
    ``Retry-After``. A ``Retry-After`` above ``max_delay`` is not waited for: the call
    raises ``ProviderRateLimited`` with ``retry_after`` so the task can reschedule itself.

    ``idempotent`` (default: by HTTP method) decides whether a request that may already
    have been processed (read timeout, dropped connection, 500/502/504) is repeated: a
    POST that sends an e-mail must not be. Read-only POSTs (searches) pass True.

    Raises ``ProviderClientError`` (``ProviderAuthError`` for 401/403) at once on any
    other 4xx, ``ProviderUnavailable`` when the breaker is open, and otherwise the typed
    error of the last attempt. ``kwargs`` go to ``requests`` (params, json, auth, stream).
    The raised error's ``maybe_processed`` says whether any attempt may have been acted on
    by the provider (the outbox checks before sending such a request again).
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    method = method.upper()
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS
    if timeout is None:
        timeout = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
    http: Any = session if session is not None else requests
    breaker = get_breaker(provider)
    last_error: ProviderError | None = None
    # Sticky across attempts: once one attempt may have been processed, so may the call.
    maybe_processed = False

    for attempt in range(max_attempts):
        last = attempt == max_attempts - 1
        try:
            response = breaker.call(
                _attempt, provider, http, method, url, timeout, idempotent, last, kwargs
            )
        except pybreaker.CircuitBreakerError as exc:
            CALLS.labels(provider, "breaker_open").inc()
            unavailable = ProviderUnavailable(
                provider,
                "circuit breaker open; request not sent",
                attempts=attempt,
                details={"last_error": last_error.code if last_error else None},
            )
            unavailable.maybe_processed = maybe_processed
            raise unavailable from (last_error or exc)
        except _Failed as failure:
            error = failure.error
            maybe_processed = error.maybe_processed = maybe_processed or error.maybe_processed
            _set_attempts(error, attempt + 1)
            # A failure that opened the breaker ends the call now: sleeping only to be
            # refused by the open breaker would waste the caller's time.
            if last or not failure.safe_to_repeat or breaker.current_state != "closed":
                raise error from failure.__cause__
        else:
            status = response.status_code
            if status != 429:
                if 400 <= status < 500:
                    error_class = ProviderAuthError if status in (401, 403) else ProviderClientError
                    refused = error_class(
                        provider,
                        f"HTTP {status} for {method} {url.split('?')[0]}",
                        status=status,
                        body_excerpt=_excerpt(response),
                        attempts=attempt + 1,
                    )
                    refused.maybe_processed = maybe_processed
                    raise refused
                return response
            # A 429 before the last attempt: returned (not raised) inside the breaker so
            # that throttling does not count as ill health.
            error = _rate_limited(provider, response)
            _set_attempts(error, attempt + 1)

        delay = _retry_delay(error, attempt, base_delay, max_delay)
        if delay is None:
            raise error
        last_error = error
        logger.warning(
            "%s call failed (%s, attempt %d of %d); retrying in %.2fs",
            provider,
            error.code,
            attempt + 1,
            max_attempts,
            delay,
        )
        time.sleep(delay)

    raise AssertionError("unreachable: the last attempt returns or raises")


def _set_attempts(error: ProviderError, attempts: int) -> None:
    error.attempts = attempts
    error.details["attempts"] = attempts
