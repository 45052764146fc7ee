"""Contact writes: single create/update and the bulk upsert keyed on `external_id`.

Audit events name the personal fields that changed but never their values: the audit
chain is immutable, so a value stored there could not be erased under GDPR later.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import (
    Conflict,
    field_error,
    integrity_error_is_unique_race,
)
from cs_platform.core.records import RecordSpec, WriteServices, account_in_scope, record_delete
from cs_platform.core.services import fields_check, model_update
from customers.models import Contact, ContactRole
from customers.selectors import account_list_for_actor
from customers.services.contact_rows import (
    MAX_BULK_ROWS,
    ContactRow,
    contact_rows_parse,
    contacts_upsert_sql,
    rows_resolve,
)
from customers.services.erased import (
    ERASED,
    IDENTITY_FIELDS,
    erased_identity_refuse,
    erased_rows_refuse,
)

PERSONAL_FIELDS = frozenset({"email", "first_name", "last_name", "title", "phone"})
UPDATABLE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "role",
    "phone",
    "is_primary",
    "email_opt_out",
    "account_id",
    "external_id",
    "intercom_contact_id",
    "zendesk_user_id",
)
CREATE_FIELDS = UPDATABLE_FIELDS
CONTACT_RECORD = RecordSpec(Contact, "contact", account="account", personal=PERSONAL_FIELDS)


def _conflict(field: str, message: str) -> Conflict:
    return Conflict(
        f"{field}: {message}",
        details={"errors": [{"field": field, "message": message, "type": "conflict"}]},
    )


def _audit_changes(fields: dict[str, Any]) -> dict[str, Any]:
    return {f: ("<changed>" if f in PERSONAL_FIELDS else v) for f, v in fields.items()}


def _check_unique(
    *, account_id: int, email: str, is_primary: bool, external_id: str | None, exclude: int | None
) -> None:
    others = Contact.objects.filter(account_id=account_id).exclude(pk=exclude)
    if others.filter(email=email).exists():
        raise _conflict("email", "another contact of this account already uses this e-mail")
    if is_primary:
        primary = others.filter(is_primary=True).values_list("pk", flat=True).first()
        if primary is not None:
            raise _conflict(
                "is_primary", f"the account already has a primary contact (id {primary})"
            )
    if external_id and Contact.objects.filter(external_id=external_id).exclude(pk=exclude).exists():
        raise _conflict("external_id", "another contact already uses this external id")


def contact_create(
    *,
    actor: Actor,
    account_id: int,
    email: str,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    role: str = ContactRole.USER,
    phone: str = "",
    is_primary: bool = False,
    external_id: str | None = None,
    email_opt_out: bool = False,
    intercom_contact_id: str | None = None,
    zendesk_user_id: str | None = None,
) -> Contact:
    """Add a contact to an account in the actor's book; e-mail unique per account."""
    account = account_in_scope(actor, account_id)
    email = email.strip().lower()
    erased_identity_refuse(
        {
            "email": email,
            "external_id": external_id,
            "intercom_contact_id": intercom_contact_id,
            "zendesk_user_id": zendesk_user_id,
        }
    )
    _check_unique(
        account_id=account.pk,
        email=email,
        is_primary=is_primary,
        external_id=external_id,
        exclude=None,
    )
    values = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "title": title,
        "role": role,
        "phone": phone,
        "is_primary": is_primary,
        "external_id": external_id,
        "email_opt_out": email_opt_out,
        "intercom_contact_id": intercom_contact_id,
        "zendesk_user_id": zendesk_user_id,
    }
    try:
        with transaction.atomic():
            contact = Contact.objects.create(account=account, **values)
            audit_record(
                actor,
                "contact.create",
                contact,
                changes=_audit_changes(
                    {k: v for k, v in values.items() if v not in ("", None, False)}
                ),
            )
    except IntegrityError as exc:
        if not integrity_error_is_unique_race(exc):
            raise  # a CHECK or NOT NULL violation is a bug: retrying repeats it
        # A concurrent write won the unique constraint; a retry is checked afresh.
        raise Conflict("contact conflicts with a concurrent change", retryable=True) from exc
    return contact


def contact_update(*, actor: Actor, contact: Contact, changes: dict[str, Any]) -> list[str]:
    """Partial update of a contact the caller already fetched in scope; returns the
    names of the fields that changed (an empty list writes nothing). A contact erased
    under GDPR is never edited; moving one to another account needs that account in the
    caller's book."""
    fields_check(changes, UPDATABLE_FIELDS)
    if contact.erased_at is not None:
        raise _conflict("contact", "this contact was erased under GDPR and cannot be edited")
    changes = dict(changes)
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
    pending = {f: v for f, v in changes.items() if getattr(contact, f) != v}
    if not pending:
        return []
    # A live contact may not take over an erased person's identifiers either.
    erased_identity_refuse({k: v for k, v in pending.items() if k in IDENTITY_FIELDS})
    moving = "account_id" in pending
    if moving:
        account_in_scope(actor, pending["account_id"])
    _check_unique(
        account_id=pending.get("account_id", contact.account_id),
        email=pending.get("email", contact.email),
        is_primary=bool(pending.get("is_primary", contact.is_primary if moving else False)),
        external_id=pending.get("external_id"),
        exclude=contact.pk,
    )
    try:
        with transaction.atomic():
            diff = model_update(contact, pending)
            audit_record(
                actor,
                "contact.update",
                contact,
                changes=_audit_changes({f: v["after"] for f, v in diff.items()}),
            )
    except IntegrityError as exc:
        if not integrity_error_is_unique_race(exc):
            raise
        raise Conflict("contact conflicts with a concurrent change", retryable=True) from exc
    return sorted(diff)


def contact_delete(*, actor: Actor, contact: Contact) -> None:
    """Delete a contact; the audit event names its fields, never their values."""
    record_delete(CONTACT_RECORD, actor=actor, instance=contact)


def contact_bulk_upsert(*, actor: Actor, rows: Any) -> list[dict[str, Any]]:
    """Create or update up to 5,000 contacts by `external_id`, one result per row.

    Every row is validated (fields, the account in the caller's book, e-mail unique per
    account, one primary per account); bad rows are reported and skipped, good rows are
    written with set-based upserts, and rows equal to what is stored are `unchanged`.
    A constant number of queries, whatever the row count.
    """
    if not isinstance(rows, list) or not rows or len(rows) > MAX_BULK_ROWS:
        raise field_error("rows", f"must be a list of 1 to {MAX_BULK_ROWS} row objects")
    parsed = contact_rows_parse(rows)
    _erased_rows_refuse(parsed)
    external_ids = [r.external_id for r in parsed if r.ok]
    existing = {
        c["external_id"]: c
        for c in Contact.objects.filter(external_id__in=external_ids).values(
            "id", "external_id", "account_id", "email", "first_name", "last_name", "title",
            "role", "is_primary", "erased_at",
        )
    }  # fmt: skip
    wanted = {r.values["account_id"] for r in parsed if r.ok}
    wanted |= {c["account_id"] for c in existing.values()}
    visible = set(account_list_for_actor(actor).filter(pk__in=wanted).values_list("id", flat=True))
    emails = {r.values["email"] for r in parsed if r.ok}
    neighbours = list(
        Contact.objects.filter(account_id__in=visible)
        .filter(Q(email__in=emails) | Q(is_primary=True))
        .values_list("id", "account_id", "email", "is_primary")
    )
    rows_resolve(parsed, existing=existing, visible=visible, neighbours=neighbours)
    changed = [r for r in parsed if r.status in ("created", "updated")]
    if changed:
        now = clock.now()
        try:
            with transaction.atomic():
                # Demotions before promotions: the one-primary index is checked per row.
                for primary in (False, True):
                    batch = {r.external_id: r for r in changed if r.values["is_primary"] is primary}
                    for ext, pk in contacts_upsert_sql(list(batch.values()), now=now).items():
                        batch[ext].contact_id = pk
                _bulk_audit(actor, parsed)
        except IntegrityError as exc:
            if not integrity_error_is_unique_race(exc):
                raise
            raise Conflict(
                "contacts changed concurrently; nothing was written, send the request again",
                retryable=True,
            ) from exc
    return [r.result() for r in parsed]


def _erased_rows_refuse(parsed: list[ContactRow]) -> None:
    """A row with an erased person's address or external id is an error, not a contact."""
    candidates = [
        (row, {"email": row.values["email"], "external_id": row.external_id})
        for row in parsed
        if row.ok
    ]
    for row, fields in erased_rows_refuse(candidates).items():
        for name in fields:
            row.error(name, ERASED)


def _bulk_audit(actor: Actor, parsed: list[ContactRow]) -> None:
    counts = {s: 0 for s in ("created", "updated", "unchanged", "error")}
    for row in parsed:
        counts[row.status] += 1
    audit_record(
        actor,
        "contact.bulk_upsert",
        object_type=Contact._meta.label_lower,
        changes={
            "rows": len(parsed),
            **counts,
            "accounts": len({r.values["account_id"] for r in parsed if r.status != "error"}),
        },
    )


def _create_from_fields(*, actor: Actor, fields: dict[str, Any]) -> Contact:
    return contact_create(actor=actor, **{k: fields[k] for k in CREATE_FIELDS if k in fields})


def _update(*, actor: Actor, instance: Contact, changes: dict[str, Any]) -> list[str]:
    return contact_update(actor=actor, contact=instance, changes=changes)


def _delete(*, actor: Actor, instance: Contact) -> None:
    contact_delete(actor=actor, contact=instance)


CONTACT_WRITES = WriteServices(
    create=_create_from_fields,
    update=_update,
    delete=_delete,
    create_fields=CREATE_FIELDS,
    update_fields=UPDATABLE_FIELDS,
)

__all__ = [
    "CONTACT_WRITES",
    "MAX_BULK_ROWS",
    "contact_bulk_upsert",
    "contact_create",
    "contact_delete",
    "contact_update",
]
