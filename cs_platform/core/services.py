"""What every service does with a row, written once: read its values, diff them, validate
it as a domain error, create, update (partially, reporting before/after) and delete it.

These helpers touch only the ORM; the audit event of a write is the calling service's
(`audit.services.audit_record`), and `cs_platform.core.records` combines both for records
whose only rules are their model's. Nothing here imports an app.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Field, Model, ProtectedError, RestrictedError
from encrypted_fields.fields import EncryptedFieldMixin

from cs_platform.core.errors import Conflict, InvalidInput
from cs_platform.core.personal_data import personal_fields

M = TypeVar("M", bound=Model)
Diff = dict[str, dict[str, Any]]

REDACTED = "[redacted]"
# Field names whose values never enter the audit trail, whatever their type.
SECRET_FIELD_NAMES = frozenset({"password", "key_hash", "credentials", "webhook_secret"})


def _is_stamp(field: Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def model_values(obj: Model) -> dict[str, Any]:
    """Concrete field values keyed as stored (`owner_id` for a foreign key); the clock's
    stamps (`auto_now`, `auto_now_add`) are left out: they change on every save."""
    return {
        f.attname: f.value_from_object(obj)
        for f in obj._meta.concrete_fields
        if not _is_stamp(f) and not f.primary_key
    }


def values_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Diff:
    """{key: {"before", "after"}} for every key whose value differs (pure)."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def diff_redact(model: type[Model], diff: Diff, *, personal: Collection[str] = ()) -> Diff:
    """The diff as the audit trail may keep it: secrets (passwords, token hashes, encrypted
    fields) and the model's personal fields (`personal`, and what the personal-data
    registry names) become a marker; an empty value stays empty, so "was set" / "was
    cleared" remains visible."""
    hidden = set(SECRET_FIELD_NAMES) | set(personal) | personal_fields(model)
    for field in model._meta.concrete_fields:
        if field.name in hidden or isinstance(field, EncryptedFieldMixin):
            hidden.update({field.name, field.attname})
    return {key: _hide(change) if key in hidden else change for key, change in diff.items()}


def _hide(change: dict[str, Any]) -> dict[str, Any]:
    return {
        side: REDACTED if value not in (None, "", [], {}) else value
        for side, value in change.items()
    }


def validation_error_details(exc: ValidationError) -> list[dict[str, str]]:
    """Django's per-field messages in the shape every channel reports (`field`, `message`)."""
    if not hasattr(exc, "error_dict"):
        return [{"field": "body", "message": m, "type": "invalid"} for m in exc.messages]
    errors = []
    for name, field_errors in exc.message_dict.items():
        field = "body" if name == NON_FIELD_ERRORS else name
        errors.extend({"field": field, "message": m, "type": "invalid"} for m in field_errors)
    return errors


def model_validate(obj: Model, *, fields: Collection[str] | None = None) -> None:
    """The model's own rules (types, choices, lengths, unique and check constraints) as an
    `invalid_input` naming each field. `fields`: validate only these fields' values (the
    row's unique and check constraints are always checked whole)."""
    exclude = None
    if fields is not None:
        wanted = set(fields)
        exclude = {
            f.name
            for f in obj._meta.concrete_fields
            if f.name not in wanted and f.attname not in wanted
        }
    try:
        obj.clean_fields(exclude=exclude)
        obj.clean()
        obj.validate_unique()
        obj.validate_constraints()
    except ValidationError as exc:
        errors = validation_error_details(exc)
        names = ", ".join(sorted({e["field"] for e in errors}))
        raise InvalidInput(f"invalid {names}", details={"errors": errors}) from None


def _field(model: type[Model], key: str) -> Field:
    try:
        return model._meta.get_field(key)
    except Exception:  # FieldDoesNotExist: the caller named something the model lacks
        raise InvalidInput(
            f"{key}: not a field",
            details={"errors": [{"field": key, "message": "not a field", "type": "extra"}]},
        ) from None


def _null_check(field: Field, key: str, value: Any) -> None:
    """Refuse None for a NOT NULL column as the caller's mistake. Django's own validation
    skips empty values of `blank=True` fields, so without this a null `notes` would reach
    PostgreSQL as a NOT NULL violation (a 500)."""
    if value is None and not (field.null or field.many_to_many or field.primary_key):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return  # set on save
        raise InvalidInput(
            f"{key}: may not be null",
            details={"errors": [{"field": key, "message": "may not be null", "type": "null"}]},
        )


def _pk_list(values: Any) -> list[Any]:
    return sorted(v.pk if isinstance(v, Model) else v for v in (values or []))


def fields_check(changes: Mapping[str, Any], allowed: Collection[str]) -> None:
    """Refuse names outside `allowed` with one `invalid_input` naming each of them."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise InvalidInput(
            "fields cannot be changed here: " + ", ".join(unknown),
            details={
                "errors": [
                    {"field": f, "message": "not updatable", "type": "extra"} for f in unknown
                ]
            },
        )


def model_create(
    model: type[M],
    fields: Mapping[str, Any],
    *,
    validate: bool = True,
    check: Callable[[Model], None] | None = None,
) -> M:
    """A new row from `fields` (names or attnames; many-to-many as lists), validated by the
    model's rules, passed to `check` (a scope rule, say) before it is saved, then saved
    with its many-to-many relations."""
    values, related = {}, {}
    for key, value in fields.items():
        field = _field(model, key)
        _null_check(field, key, value)
        if field.many_to_many:
            related[field.name] = value
        else:
            values[key] = value
    obj = model(**values)
    if validate:
        model_validate(obj)
    if check is not None:
        check(obj)
    obj.save()
    for name, value in related.items():
        getattr(obj, name).set(value or [])
    return obj


def model_update(
    obj: Model,
    changes: Mapping[str, Any],
    *,
    allowed: Collection[str] | None = None,
    validate: bool = True,
) -> Diff:
    """The partial update every service does: set what differs, validate it, save only
    those columns (and the row's `auto_now` stamp), and return each changed field's
    before/after keyed as stored (`owner_id`). Sending the current value changes nothing;
    an empty diff writes nothing."""
    if allowed is not None:
        fields_check(changes, allowed)
    model = type(obj)
    diff: Diff = {}
    related: dict[str, list[Any]] = {}
    for key, value in changes.items():
        field = _field(model, key)
        _null_check(field, key, value)
        if field.many_to_many:
            before = _pk_list(getattr(obj, field.name).all()) if obj.pk else []
            after = _pk_list(value)
            if before != after:
                diff[field.name] = {"before": before, "after": after}
                related[field.name] = after
            continue
        stored = getattr(obj, field.attname)
        new = value.pk if isinstance(value, Model) else value
        if stored != new:
            diff[field.attname] = {"before": stored, "after": new}
            setattr(obj, field.attname, new)
    columns = [key for key in diff if key not in related]
    if columns:
        if validate:
            model_validate(obj, fields=columns)
        stamps = [f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        obj.save(update_fields=[*columns, *stamps])
    for name, pks in related.items():
        getattr(obj, name).set(pks)
    return diff


def model_delete(obj: Model) -> dict[str, Any]:
    """Delete the row; returns its values as they were (for the audit event). A protected
    relation is a `conflict` naming what holds the row, not a server error."""
    before = model_values(obj)
    try:
        obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        holders = getattr(exc, "protected_objects", None) or exc.restricted_objects
        held_by = sorted({str(o._meta.verbose_name_plural) for o in holders})
        raise Conflict(
            f"{obj._meta.verbose_name} is still used by {', '.join(held_by)}",
            details={"errors": [{"field": "body", "message": "in use", "type": "protected"}]},
        ) from None
    return before
