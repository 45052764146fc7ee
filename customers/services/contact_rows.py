"""The row-level work of `contact_bulk_upsert`: parse, resolve against stored contacts,
and the set-based upsert. Pure Python except `contacts_upsert_sql`.

Row semantics: `external_id`, `account` and `email` are required; an absent optional
field keeps the stored value (a new contact gets the model default), an explicit null
clears a text field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from cs_platform.core.upsert import upsert
from customers.models import Contact, ContactRole

MAX_BULK_ROWS = 5000
ROW_FIELDS = frozenset(
    {"external_id", "account", "email", "first_name", "last_name", "title", "role", "is_primary"}
)
TEXT_LIMITS = {"first_name": 100, "last_name": 100, "title": 120}
COMPARED = ("account_id", "email", "first_name", "last_name", "title", "role", "is_primary")
DEFAULTS: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "title": "",
    "role": str(ContactRole.USER.value),
    "is_primary": False,
}
ROLES = frozenset(str(v) for v in ContactRole.values)


@dataclass(eq=False)
class ContactRow:
    index: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    outcome: str = "error"
    contact_id: int | None = None
    existing: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> str:
        return "error" if self.errors else self.outcome

    @property
    def external_id(self) -> str:
        return self.values.get("external_id", "")

    def error(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status, "errors": self.errors}
        if self.ok and self.contact_id is not None:
            out["id"] = self.contact_id
        return out


def _parse_one(index: int, raw: Any) -> ContactRow:
    row = ContactRow(index)
    if not isinstance(raw, dict):
        row.error("row", "must be an object")
        return row
    for name in sorted(set(raw) - ROW_FIELDS):
        row.error(name, "unknown field")
    ext = raw.get("external_id")
    if not isinstance(ext, str) or not ext.strip() or len(ext.strip()) > 100:
        row.error("external_id", "is required: a non-empty string of at most 100 characters")
    else:
        row.values["external_id"] = ext.strip()
    account = raw.get("account")
    if type(account) is not int or account < 1:  # bool is an int subclass: excluded
        row.error("account", "is required: a positive integer account id")
    else:
        row.values["account_id"] = account
    email = raw.get("email")
    try:
        if not isinstance(email, str) or len(email) > 254:
            raise DjangoValidationError("bad")
        validate_email(email.strip())
        row.values["email"] = email.strip().lower()
    except DjangoValidationError:
        row.error("email", "is required: a valid e-mail address")
    for name, limit in TEXT_LIMITS.items():
        if name not in raw:
            continue
        value = raw[name] if raw[name] is not None else ""
        if not isinstance(value, str) or len(value.strip()) > limit:
            row.error(name, f"must be a string of at most {limit} characters")
        else:
            row.values[name] = value.strip()
    if "role" in raw:
        if not isinstance(raw["role"], str) or raw["role"] not in ROLES:
            row.error("role", f"must be one of {', '.join(sorted(ROLES))}")
        else:
            row.values["role"] = raw["role"]
    if "is_primary" in raw:
        if not isinstance(raw["is_primary"], bool):
            row.error("is_primary", "must be true or false")
        else:
            row.values["is_primary"] = raw["is_primary"]
    return row


def contact_rows_parse(rows: list[Any]) -> list[ContactRow]:
    return [_parse_one(i, raw) for i, raw in enumerate(rows)]


def _resolve_row(
    row: ContactRow,
    current: dict[str, Any] | None,
    visible: set[int],
    email_owner: dict[tuple[int, str], int],
    first_email: dict[tuple[int, str], int],
) -> None:
    if row.values["account_id"] not in visible:
        row.error("account", "no account with this id in your book")
        return
    if current is not None and current["account_id"] not in visible:
        row.error("external_id", "is used by a contact outside your book")
        return
    if current is not None and current["erased_at"] is not None:
        row.error("external_id", "this contact was erased under GDPR and cannot be re-imported")
        return
    stored = {k: current[k] for k in COMPARED} if current is not None else {}
    final = {**DEFAULTS, **stored, **{k: v for k, v in row.values.items() if k in COMPARED}}
    own_id = current["id"] if current is not None else None
    key = (final["account_id"], final["email"])
    if email_owner.get(key, own_id) != own_id:
        row.error("email", "another contact of this account already uses this e-mail")
        return
    if key in first_email:
        row.error("email", f"repeats row {first_email[key]} for the same account")
        return
    first_email[key] = row.index
    row.values = {**final, "external_id": row.external_id}
    row.existing, row.contact_id = current, own_id
    if current is None:
        row.outcome = "created"
    else:
        row.outcome = "unchanged" if stored == {k: final[k] for k in COMPARED} else "updated"


def rows_resolve(
    parsed: list[ContactRow],
    *,
    existing: dict[str, dict[str, Any]],
    visible: set[int],
    neighbours: list[tuple[int, int, str, bool]],
) -> None:
    """Decide each valid row's outcome against stored contacts (mutates the rows).

    `neighbours` are stored contacts of the rows' accounts that share a row's e-mail or
    are primary: (id, account_id, email, is_primary).
    """
    email_owner = {(acc, email): pk for pk, acc, email, _ in neighbours}
    primary_of: dict[int, Any] = {acc: pk for pk, acc, _, primary in neighbours if primary}
    first_ext: dict[str, int] = {}
    first_email: dict[tuple[int, str], int] = {}
    for row in parsed:
        if not row.ok:
            continue
        if row.external_id in first_ext:
            row.error("external_id", f"repeats row {first_ext[row.external_id]}")
            continue
        first_ext[row.external_id] = row.index
        _resolve_row(row, existing.get(row.external_id), visible, email_owner, first_email)
    # Demotions first, so a request may move the primary flag from one contact to another.
    for row in parsed:
        cur = row.existing
        if not (row.ok and cur is not None and cur["is_primary"]):
            continue
        stays = row.values["is_primary"] and row.values["account_id"] == cur["account_id"]
        if not stays and primary_of.get(cur["account_id"]) == cur["id"]:
            del primary_of[cur["account_id"]]
    for row in parsed:
        if not (row.ok and row.values["is_primary"]):
            continue
        me = row.contact_id if row.contact_id is not None else f"new:{row.external_id}"
        holder = primary_of.setdefault(row.values["account_id"], me)
        if holder != me:
            who = f"contact {holder}" if isinstance(holder, int) else "an earlier row"
            row.error("is_primary", f"the account already has a primary contact ({who})")


INSERT_COLUMNS = (
    "account_id", "external_id", "email", "first_name", "last_name", "title", "role",
    "is_primary", "phone", "email_opt_out", "created_at", "updated_at",
)  # fmt: skip
UPDATE_COLUMNS = (*COMPARED, "updated_at")


def contacts_upsert_sql(rows: list[ContactRow], *, now: datetime) -> dict[str, int]:
    """INSERT … ON CONFLICT (external_id) DO UPDATE for resolved rows; {external_id: id}.

    The project's upsert builder, because the external-id index is partial and Django's
    `bulk_create` cannot name the index predicate that ON CONFLICT needs to infer it.
    """
    values = [
        (
            v["account_id"], v["external_id"], v["email"], v["first_name"], v["last_name"],
            v["title"], v["role"], v["is_primary"], "", False, now, now,
        )
        for v in (row.values for row in rows)
    ]  # fmt: skip
    written = upsert(
        Contact,
        INSERT_COLUMNS,
        values,
        conflict=["external_id"],
        where="external_id IS NOT NULL",
        update=UPDATE_COLUMNS,
        returning=["id", "external_id"],
    )
    return {external_id: pk for pk, external_id in written}
