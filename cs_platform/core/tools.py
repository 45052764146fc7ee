"""The tool registry and `invoke_tool`: one definition per capability (DESIGN.md 4).

A tool is a function `(ctx: ToolContext, params: <Input model>) -> <Output model>` in a
module of its app's `tools` package (`<app>/tools/<group>.py`, its contracts next to it in
`<group>_contracts.py`), decorated with `@tool(...)`. Every channel (MCP, REST, admin,
commands) calls `invoke_tool(name, actor, payload)`, which validates, checks permission,
runs mutating tools in a transaction with their audit event, replays idempotent repeats,
and counts, times and logs every call.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import pkgutil
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from pydantic import BaseModel, ValidationError

from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RecordedFailure,
)
from cs_platform.core.idempotency import idempotency_record_get, idempotency_record_store
from cs_platform.core.ports import audit_event_record
from cs_platform.core.telemetry import metrics
from cs_platform.core.telemetry.logs import log_context_reset, log_context_set

logger = logging.getLogger("cs_platform.tools")

TOOL_CALLS = metrics.counter(
    "cs_tool_calls_total", "Tool calls by tool, channel and outcome", ["tool", "channel", "outcome"]
)
TOOL_SECONDS = metrics.histogram(
    "cs_tool_call_seconds", "Tool call duration by tool and channel", ["tool", "channel"]
)
UNREGISTERED_TOOL = "unregistered"


@dataclass
class ToolContext:
    """What a tool gets besides its input: the actor, the clock, and the audit record."""

    actor: Actor
    now: datetime
    audit_object: Model | None = None
    audit_changes: dict[str, Any] = field(default_factory=dict)
    audit_account_id: int | None = None

    def audit(
        self,
        obj: Model | None = None,
        *,
        changes: dict[str, Any] | None = None,
        account_id: int | None = None,
    ) -> None:
        """Name the object this call changed and how; written with the call's audit event."""
        if obj is not None:
            self.audit_object = obj
        if changes:
            self.audit_changes = {**self.audit_changes, **changes}
        if account_id is not None:
            self.audit_account_id = account_id


@dataclass(frozen=True)
class ToolSpec:
    name: str
    func: Callable[[ToolContext, BaseModel], BaseModel]
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    description: str
    permission: str  # "read" or "write"
    read_only: bool
    destructive: bool
    idempotent: bool
    app_label: str
    title: str
    read_actions: frozenset[str] = frozenset()

    @property
    def mutating(self) -> bool:
        return not self.read_only

    def writes_for(self, params: BaseModel) -> bool:
        """Whether this call writes: a write tool's read actions (e.g. `list`) do not, so
        they need only the read scope and run without a transaction or audit event."""
        if self.read_only:
            return False
        return getattr(params, "action", None) not in self.read_actions


_REGISTRY: dict[str, ToolSpec] = {}
_LOADED = False


def tool(
    *,
    permission: str,
    read_only: bool,
    destructive: bool = False,
    idempotent: bool | None = None,
    title: str | None = None,
    read_actions: tuple[str, ...] = (),
) -> Callable[[Callable], Callable]:
    """Register a tool. Input/output contracts come from the function's type hints.

    `permission` is what the caller needs; `read_only` whether the call writes (then it
    runs in a transaction with its audit event). `permission="read", read_only=False` is
    a read whose answer the system stores as it computes it (a churn prediction, a health
    snapshot): the read scope suffices, because the write is the system's derivation, not
    a change the caller asks for.

    `read_actions` names the values of an `action` input that only read, for tools that
    manage a resource (list/get/create/update): those calls are authorised as reads.
    """
    if permission not in ("read", "write"):
        raise ValueError("permission must be 'read' or 'write'")
    if read_only and permission != "read":
        raise ValueError("a read-only tool needs only the 'read' permission")

    def decorator(func: Callable) -> Callable:
        hints = typing.get_type_hints(func)
        params = list(inspect.signature(func).parameters)
        if len(params) != 2:
            raise TypeError(f"tool {func.__name__} must take (ctx, params)")
        input_model = hints.get(params[1])
        output_model = hints.get("return")
        for label, model in (("input", input_model), ("output", output_model)):
            if not (inspect.isclass(model) and issubclass(model, BaseModel)):
                raise TypeError(f"tool {func.__name__}: {label} contract must be a pydantic model")
        name = func.__name__
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ValueError(f"tool {name} is defined twice")
        _REGISTRY[name] = ToolSpec(
            name=name,
            func=func,
            input_model=input_model,
            output_model=output_model,
            description=inspect.cleandoc(func.__doc__ or ""),
            permission=permission,
            read_only=read_only,
            destructive=destructive,
            idempotent=read_only if idempotent is None else idempotent,
            app_label=func.__module__.split(".")[0],
            title=title or name.replace("_", " ").capitalize(),
            read_actions=frozenset(read_actions),
        )
        return func

    return decorator


def tool_modules_import(app_names: list[str]) -> list[str]:
    """Import every module of each app's `tools` package, however deep; return their names.

    Tools register when their module is imported, so the registry walks the packages
    itself: a tool module that nothing else imports is still found, and no package
    `__init__` has to list its modules. An app without tools has no `tools` package; an
    app whose `tools` is a plain module breaks the one layout every app follows.
    """
    names: list[str] = []
    for app_name in app_names:
        package_name = f"{app_name}.tools"
        if package_name == __name__:
            continue  # core's `tools` is this registry, not a package of tools
        try:
            package = import_module(package_name)
        except ModuleNotFoundError as exc:
            if exc.name == package_name:
                continue
            raise
        if not hasattr(package, "__path__"):
            raise ImproperlyConfigured(f"{package_name} must be a package (tools/<group>.py)")
        names.append(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            import_module(module.name)
            names.append(module.name)
    return names


def tool_registry() -> dict[str, ToolSpec]:
    """Every registered tool, after walking each installed app's `tools` package once."""
    global _LOADED
    if not _LOADED:
        tool_modules_import([config.name for config in apps.get_app_configs()])
        _LOADED = True
    return dict(sorted(_REGISTRY.items()))


def tool_get(name: str) -> ToolSpec:
    spec = tool_registry().get(name)
    if spec is None:
        raise NotFound(f"no tool named {name!r}", details={"tool": name})
    return spec


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "body",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors()
    ]


def _validate(spec: ToolSpec, payload: Any) -> BaseModel:
    if not isinstance(payload, dict):
        raise InvalidInput(
            "arguments must be a JSON object",
            details={
                "errors": [{"field": "body", "message": "expected an object", "type": "type"}]
            },
        )
    try:
        return spec.input_model.model_validate(payload)
    except ValidationError as exc:
        errors = validation_errors(exc)
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"invalid arguments: {fields}", details={"errors": errors}) from None


def _authorize(spec: ToolSpec, actor: Actor, params: BaseModel) -> None:
    if spec.permission == "write" and spec.writes_for(params) and not actor.can_write():
        why = (
            "token lacks the 'write' scope"
            if actor.token and "write" not in actor.scopes
            else (f"role '{actor.role}' is read-only")
        )
        raise PermissionDenied(f"{spec.name} changes data: {why}", details={"tool": spec.name})
    if not actor.can_read():
        raise PermissionDenied("token lacks the 'read' scope", details={"tool": spec.name})


def _request_hash(payload: dict[str, Any]) -> str:
    body = {k: v for k, v in payload.items() if k != "idempotency_key"}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, cls=DjangoJSONEncoder).encode()
    ).hexdigest()


def _run(spec: ToolSpec, actor: Actor, params: BaseModel, payload: dict[str, Any]) -> dict:
    ctx = ToolContext(actor=actor, now=clock.now())
    if not spec.writes_for(params):
        return _dump(spec, spec.func(ctx, params))

    key = getattr(params, "idempotency_key", None)
    req_hash = _request_hash(payload)
    dry_run = bool(getattr(params, "dry_run", False))
    with transaction.atomic():
        if key and not dry_run:
            previous = idempotency_record_get(user_id=actor.user_id, tool=spec.name, key=key)
            if previous is not None:
                if previous.request_hash != req_hash:
                    raise Conflict(
                        "idempotency_key was already used with different arguments",
                        details={"field": "idempotency_key"},
                    )
                return previous.response
        failure: RecordedFailure | None = None
        try:
            result = _dump(spec, spec.func(ctx, params))
        except RecordedFailure as exc:
            failure, result = exc, exc.as_dict()
        if dry_run:
            transaction.set_rollback(True)  # belt and braces: a dry run never persists
            return result
        audit_event_record(
            actor=actor.user,
            actor_label=actor.label,
            channel=actor.channel,
            action=f"tool.{spec.name}" + (".failed" if failure else ""),
            obj=ctx.audit_object,
            account_id=ctx.audit_account_id,
            changes={"input": payload, **ctx.audit_changes},
        )
        # A recorded failure is committed on purpose (the attempt and its audit event
        # survive) and is not stored under the idempotency key, so a retry tries again.
        if key and failure is None:
            idempotency_record_store(
                user_id=actor.user_id,
                tool=spec.name,
                key=key,
                request_hash=req_hash,
                response=result,
            )
    if failure is not None:
        raise failure
    return result


def _dump(spec: ToolSpec, result: BaseModel) -> dict[str, Any]:
    if not isinstance(result, spec.output_model):
        raise TypeError(f"{spec.name} returned {type(result).__name__}, not its output contract")
    return result.model_dump(mode="json")


def tool_metric_label(name: str) -> str:
    """The ``tool`` label of a call: a registered tool's name, else one fixed value.
    Callers choose the name they ask for, and a label per invented name would grow the
    metric series without bound."""
    return name if name in tool_registry() else UNREGISTERED_TOOL


def invoke_tool(name: str, actor: Actor, payload: Any) -> dict[str, Any]:
    """Validate, authorise, run (in a transaction with its audit event when mutating)."""
    started = time.perf_counter()
    outcome = "ok"
    label = tool_metric_label(name)
    context = log_context_set(tool=label, actor_id=actor.user_id)
    try:
        spec = tool_get(name)
        params = _validate(spec, payload)
        _authorize(spec, actor, params)
        return _run(spec, actor, params, payload)
    except DomainError as exc:
        outcome = exc.code
        raise
    except Exception:
        outcome = "internal_error"
        raise
    finally:
        elapsed = time.perf_counter() - started
        TOOL_CALLS.labels(label, actor.channel, outcome).inc()
        TOOL_SECONDS.labels(label, actor.channel).observe(elapsed)
        # Ids and codes only: the actor's name and the arguments may be personal data.
        logger.info(
            "tool call",
            extra={
                "event": "tool_call",
                "channel": actor.channel,
                "outcome": outcome,
                "ms": round(elapsed * 1000, 1),
            },
        )
        log_context_reset(context)
