"""Re-encrypting every encrypted field with the current first key (key rotation).

django-fernet-encrypted-fields derives one Fernet key per (SECRET_KEY or fallback, salt)
and decrypts with any of them, encrypting with the first. Rotation is: put the new salt
first in FIELD_ENCRYPTION_SALTS (keeping the old), run ``rotate_field_encryption``, then
drop the old salt. A value no configured key can decrypt stops the rotation before
anything is written: re-encrypting it would seal the ciphertext itself as "plaintext".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Field, Model
from encrypted_fields.fields import EncryptedFieldMixin, EncryptedJSONField

from audit.services import audit_event_record
from cs_platform.core.errors import DomainError


class UndecryptableValues(DomainError):
    code = "undecryptable_values"
    http_status = 500


def encrypted_fields() -> list[tuple[type[Model], list[Field]]]:
    """Every concrete model with encrypted fields, and those fields."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]
        if fields and not model._meta.proxy:
            found.append((model, fields))
    return found


def encryption_keys_reset() -> None:
    """Forget derived keys (cached per field instance) after the key settings changed."""
    for _model, fields in encrypted_fields():
        for f in fields:
            f.__dict__.pop("keys", None)
            f.__dict__.pop("f", None)


def _tokens(f: Field, raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(f, EncryptedJSONField):
        return [raw]
    tokens: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            tokens.append(str(value))

    walk(json.loads(raw) if isinstance(raw, str) else raw)
    return tokens


@dataclass
class RotationReport:
    rows: dict[str, int] = field(default_factory=dict)  # model label → rows re-encrypted
    undecryptable: list[str] = field(default_factory=list)  # "label:pk:field"


def _raw_rows(model: type[Model], fields: list[Field]) -> list[tuple[Any, ...]]:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    pk = quote(model._meta.pk.column)
    sql = f"SELECT {pk}, {columns} FROM {quote(model._meta.db_table)} ORDER BY {pk}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def field_encryption_rotate(*, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every encrypted value under the first configured key, in one
    transaction; raises ``UndecryptableValues`` (writing nothing) if any value cannot
    be decrypted with the configured keys."""
    report = RotationReport()
    with transaction.atomic():
        plan: list[tuple[type[Model], list[Field], list[Any]]] = []
        for model, fields in encrypted_fields():
            pks = []
            for pk, *raws in _raw_rows(model, fields):
                for f, raw in zip(fields, raws, strict=True):
                    for token in _tokens(f, raw):
                        try:
                            f.f.decrypt(token.encode())
                        except (InvalidToken, ValueError):
                            report.undecryptable.append(f"{model._meta.label}:{pk}:{f.name}")
                            break
                pks.append(pk)
            plan.append((model, fields, pks))
        if report.undecryptable:
            raise UndecryptableValues(
                f"{len(report.undecryptable)} encrypted values cannot be decrypted with the "
                "configured keys; nothing was re-encrypted",
                details={"values": report.undecryptable[:50]},
            )
        for model, fields, pks in plan:
            names = [f.name for f in fields]
            for start in range(0, len(pks), 500):
                # Loading decrypts with any key; saving encrypts with the first one.
                objs = list(model._base_manager.filter(pk__in=pks[start : start + 500]))
                if not dry_run:
                    model._base_manager.bulk_update(objs, names)
            report.rows[model._meta.label] = len(pks)
        if dry_run:
            transaction.set_rollback(True)
        else:
            audit_event_record(
                actor=None,
                actor_label="system:rotate_field_encryption",
                channel="command",
                action="integrations.field_encryption_rotated",
                changes={"rows": report.rows},
            )
    return report
