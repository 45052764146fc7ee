"""One set-based ``INSERT … ON CONFLICT DO UPDATE`` for a list of rows.

Django's ``bulk_create(update_conflicts=True)`` cannot name the predicate of a partial
unique index (``SupportTicket``'s ``(connection, external_id) WHERE external_id IS NOT
NULL``), which PostgreSQL needs to pick the index. The SQL here is the dialect PostgreSQL
and SQLite (>= 3.24) share; values go through each field's own ``get_db_prep_save``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as default_connection
from django.db import models
from django.db.models import Model


def upsert_rows(
    model: type[Model],
    rows: list[dict[str, Any]],
    *,
    conflict_fields: list[str],
    update_fields: list[str],
    conflict_condition: str = "",
    using: Any = None,
) -> int:
    """Insert ``rows`` (dicts of field name → value, all with the same keys), updating
    ``update_fields`` of rows whose ``conflict_fields`` already exist. Returns the
    number of rows sent. Rows must be unique on ``conflict_fields`` (one statement
    cannot update a row twice)."""
    if not rows:
        return 0
    db = using or default_connection
    meta = model._meta
    names = list(rows[0])
    fields = [meta.get_field(name) for name in names]
    quote = db.ops.quote_name
    conflict = ", ".join(quote(meta.get_field(n).column) for n in conflict_fields)
    where = f" WHERE {conflict_condition}" if conflict_condition else ""
    updates = ", ".join(
        f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
        for n in update_fields
    )
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    target = f"{quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    tail = f" ON CONFLICT ({conflict}){where} {action}"
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            _upsert_unnest(cursor, db, target, tail, fields, names, rows)
            return len(rows)
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        batch = max(1, min(len(rows), (db.features.max_query_params or 999) // len(fields)))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    field.get_db_prep_save(row[name], db)
                    for field, name in zip(fields, names, strict=True)
                )
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(f"INSERT INTO {target} VALUES {values}{tail}", params)  # noqa: S608
    return len(rows)


def _upsert_unnest(
    cursor: Any,
    db: Any,
    target: str,
    tail: str,
    fields: list[Any],
    names: list[str],
    rows: list[dict[str, Any]],
) -> None:
    """PostgreSQL: one array per column, so the statement has a few parameters however
    many rows it carries (a VALUES list of thousands of placeholders costs more to
    build and parse than the insert itself). JSON travels as text and is cast back."""
    arrays, columns = [], []
    for position, (field, name) in enumerate(zip(fields, names, strict=True)):
        values = [row[name] for row in rows]
        if isinstance(field, models.JSONField):
            encoder = field.encoder or DjangoJSONEncoder
            arrays.append([None if v is None else json.dumps(v, cls=encoder) for v in values])
            columns.append((f"c{position}::jsonb", "%s::text[]"))
        else:
            arrays.append(values)
            columns.append((f"c{position}", f"%s::{field.cast_db_type(db)}[]"))
    select = ", ".join(expr for expr, _ in columns)
    unnest = ", ".join(param for _, param in columns)
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = f"INSERT INTO {target} SELECT {select} FROM unnest({unnest}) AS u({aliases}){tail}"  # noqa: S608
    cursor.execute(sql, arrays)


def upsert_values(
    model: type[Model],
    columns: list[str],
    rows: list[tuple[Any, ...]],
    *,
    conflict_columns: list[str],
    assignments: str,
) -> int:
    """The lean variant for hot paths: ``rows`` are tuples of database-ready values
    (ints, strs, dates) in ``columns`` order (column names, e.g. ``account_id``), and
    ``assignments`` is the literal ``DO UPDATE SET`` clause; it may refer to the current
    row as ``t`` and to the proposed one as ``EXCLUDED``.

    On PostgreSQL the rows travel as one array per column (``unnest``): a statement
    with a few parameters, whatever the number of rows. Elsewhere, a VALUES list."""
    if not rows:
        return 0
    db = default_connection
    quote = db.ops.quote_name
    meta = model._meta
    target = f"{quote(meta.db_table)} AS t ({', '.join(quote(c) for c in columns)})"
    tail = (
        f" ON CONFLICT ({', '.join(quote(c) for c in conflict_columns)}) DO UPDATE SET "
        f"{assignments}"
    )
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            fields = {f.column: f for f in meta.concrete_fields}
            arrays = ", ".join(f"%s::{fields[c].cast_db_type(db)}[]" for c in columns)
            sql = f"INSERT INTO {target} SELECT * FROM unnest({arrays}){tail}"  # noqa: S608
            for start in range(0, len(rows), 50_000):
                chunk = rows[start : start + 50_000]
                cursor.execute(sql, [list(values) for values in zip(*chunk, strict=True)])
            return len(rows)
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        batch = max(1, (db.features.max_query_params or 999) // len(columns))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            values = ", ".join([placeholder] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"INSERT INTO {target} VALUES {values}{tail}", params)  # noqa: S608
    return len(rows)
