"""Which inputs each action of a multi-action tool takes, checked in one place: a missing
required field or a field the action does not use is an `invalid_input` naming it (so
nothing is silently ignored and nothing is written)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import BaseModel

from cs_platform.core.errors import InvalidInput


def action_fields_check(
    params: BaseModel,
    *,
    required: Mapping[str, Collection[str]],
    allowed: Mapping[str, Collection[str]],
    always: Collection[str] = ("action", "idempotency_key"),
) -> None:
    """`required[action]` must be given; fields outside `allowed[action] | required[action]
    | always` must be left unset (None)."""
    action = params.action
    need = set(required.get(action, ()))
    ok = need | set(allowed.get(action, ())) | set(always)
    errors = [
        {"field": name, "message": f"required for action '{action}'", "type": "required"}
        for name in sorted(need)
        if getattr(params, name) in (None, "", [])
    ]
    sent = params.model_fields_set
    errors += [
        {"field": name, "message": f"not used by action '{action}'", "type": "unexpected"}
        for name in sorted(sent - ok)
        if getattr(params, name) is not None
    ]
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"invalid arguments: {fields}", details={"errors": errors})
