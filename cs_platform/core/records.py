"""The write services of records whose only rules are their model's (contracts, programs,
surveys, …), and `WriteServices`, the declaration through which adapters write.

A `RecordSpec` names the model, the audit label, the path to its account (so a CSM can
write only inside their book) and which fields are personal (their values never reach
the audit trail). `record_create`, `record_update` and `record_delete` validate with the
model's rules, check the actor's scope, write, and record one audit event
(`<label>.create|update|delete` with a redacted before/after diff), all in one
transaction. Entities with rules of their own have services in their app that call the
same helpers (`cs_platform.core.services`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model

from cs_platform.core import ports
from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import field_error
from cs_platform.core.services import (
    Diff,
    diff_redact,
    fields_check,
    model_create,
    model_delete,
    model_update,
    model_values,
    values_diff,
)


@dataclass(frozen=True)
class WriteServices:
    """The services an adapter (an admin, a command) writes one model through.

    - ``create(*, actor, fields) -> Model``
    - ``update(*, actor, instance, changes) -> Any``
    - ``delete(*, actor, instance) -> Any``

    ``fields`` and ``changes`` are keyed by field name or attname (``account_id``),
    many-to-many values as lists. A missing callable means the operation is not offered
    (the admin then has no add, change or delete permission for it). ``create_fields`` /
    ``update_fields`` name what the service accepts (None: every field); an admin shows
    the other fields read-only.
    """

    create: Callable[..., Model] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    create_fields: tuple[str, ...] | None = None
    update_fields: tuple[str, ...] | None = None


def as_row(parameter: str, service: Callable[..., Any]) -> Callable[..., Any]:
    """`service` called the `WriteServices` way (``instance=``) when it names the row
    itself (``cta_update(cta=…)``): ``update=as_row("cta", cta_update)``."""

    def call(*, instance: Model, **kwargs: Any) -> Any:
        return service(**{parameter: instance}, **kwargs)

    return call


def account_id_of(obj: Model, path: str | None) -> int | None:
    """The account a row belongs to, following `path` (``""``: the row is the account;
    ``"contact__account"``: through its contact); None when it belongs to none."""
    if path is None:
        return getattr(obj, "account_id", None)
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    target: Any = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


@dataclass(frozen=True)
class RecordSpec:
    model: type[Model]
    label: str  # the audit action prefix: "contract" → contract.create
    account: str | None = None  # path to customers.Account; None: not account-bound
    personal: frozenset[str] = field(default_factory=frozenset)
    author: str | None = None  # a user field stamped with the actor when left empty
    updatable: tuple[str, ...] | None = None  # None: every field
    # User fields that assign the row to someone (an owner): only people who can see and
    # work the row's account (see `account_assignee_check`).
    assignees: tuple[str, ...] = ()

    def writes(
        self, *, create: bool = True, update: bool = True, delete: bool = True
    ) -> WriteServices:
        return WriteServices(
            create=partial(record_create, self) if create else None,
            update=partial(record_update, self) if update else None,
            delete=partial(record_delete, self) if delete else None,
            update_fields=self.updatable,
        )


def account_in_scope(actor: Actor, account_id: Any, *, field: str = "account") -> Model:
    """The account `account_id` if it is in the actor's book; otherwise (missing, or
    another CSM's) the same `not_found` error on `field`, so ids cannot be probed."""
    account = (
        ports.account_list_for_actor(actor).filter(pk=account_id).first() if account_id else None
    )
    if account is None:
        raise field_error(field, "no account with this id in your book", code="not_found")
    return account


def account_assignee_check(account_id: int | None, user_id: int | None, *, field: str) -> None:
    """Refuse to assign work on an account to someone who could not see it or act on it:
    the assignee must be an active user whose role may write and whose book (by the one
    scope rule, `ports.account_list_for_actor`) holds the account. A CSM's colleague or a
    viewer would be handed something they cannot see or do."""
    if user_id is None or account_id is None:
        return
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise field_error(field, "no active user with this id", code="unknown")
    assignee = actor_for_user(user, channel="assignment")
    if not assignee.can_write() or not (
        ports.account_list_for_actor(assignee).filter(pk=account_id).exists()
    ):
        raise field_error(field, "this user cannot see or work this account", code="forbidden")


def _assignees_check(spec: RecordSpec, obj: Model, changed: set[str] | None) -> None:
    for name in spec.assignees:
        if changed is not None and not ({name, f"{name}_id"} & changed):
            continue  # an owner left as it was stays, even if the book moved since
        account_id = account_id_of(obj, spec.account)
        account_assignee_check(account_id, getattr(obj, f"{name}_id"), field=f"{name}_id")


def _in_scope(
    spec: RecordSpec, actor: Actor | None, obj: Model, *, changed: set[str] | None = None
) -> None:
    _assignees_check(spec, obj, changed)
    if spec.account is None or actor is None or actor.sees_all_accounts:
        return
    account_in_scope(
        actor, account_id_of(obj, spec.account), field=spec.account.split("__")[0] or "account"
    )


def audit_write(
    actor: Actor | None,
    action: str,
    obj: Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    account_id: int | None = None,
    system: str = "system",
) -> None:
    """The audit event of a write by core's own services, named after the `Actor` who
    made it (user, label, channel); without an actor, a system job's (`system:<system>`
    on the `task` channel). Written through `ports` (the audit app sits above core)."""
    if actor is None:
        user, label, channel = None, f"system:{system}", "task"
    else:
        user, label, channel = actor.user, actor.label, actor.channel
    ports.audit_event_record(
        actor=user, actor_label=label, channel=channel, action=action, obj=obj,
        account_id=account_id, changes=changes,
    )  # fmt: skip


def _audit(
    spec: RecordSpec, actor: Actor | None, verb: str, obj: Model, diff: Diff, system: str
) -> None:
    audit_write(
        actor,
        f"{spec.label}.{verb}",
        obj,
        account_id=account_id_of(obj, spec.account) if spec.account is not None else None,
        changes={"diff": diff_redact(spec.model, diff, personal=spec.personal)},
        system=system,
    )


def record_create(
    spec: RecordSpec, *, actor: Actor | None, fields: Mapping[str, Any], system: str = "system"
) -> Model:
    """Create one row from `fields`, validated, in the actor's scope, audited."""
    fields = dict(fields)
    author_id = f"{spec.author}_id"
    if spec.author and actor is not None and fields.get(spec.author, fields.get(author_id)) is None:
        fields.pop(author_id, None)
        fields[spec.author] = actor.user
    with transaction.atomic():
        obj = model_create(spec.model, fields, check=partial(_in_scope, spec, actor))
        after = model_values(obj)
        after.update(
            {f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
             for f in spec.model._meta.many_to_many if f.name in fields}
        )  # fmt: skip
        _audit(spec, actor, "create", obj, values_diff({}, after), system)
    return obj


def record_update(
    spec: RecordSpec,
    *,
    actor: Actor | None,
    instance: Model,
    changes: Mapping[str, Any],
    system: str = "system",
) -> Diff:
    """Apply a partial update; returns {field: {before, after}} (empty: nothing written)."""
    if spec.updatable is not None:
        fields_check(changes, spec.updatable)
    _in_scope(spec, actor, instance, changed=set())
    with transaction.atomic():
        diff = model_update(instance, changes)
        if diff:
            # A row may not move out of the book either, nor to someone outside it.
            _in_scope(spec, actor, instance, changed=set(diff))
            _audit(spec, actor, "update", instance, diff, system)
    return diff


def record_delete(
    spec: RecordSpec, *, actor: Actor | None, instance: Model, system: str = "system"
) -> None:
    """Delete one row in the actor's scope; the event keeps its (redacted) last values."""
    _in_scope(spec, actor, instance, changed=set())
    with transaction.atomic():
        # Recorded first, while the row still has its id; a refused delete (a protected
        # relation) rolls the event back with it.
        _audit(spec, actor, "delete", instance, values_diff(model_values(instance), {}), system)
        model_delete(instance)
