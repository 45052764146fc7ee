"""The project's one set-based ``INSERT … ON CONFLICT`` builder (PostgreSQL, and SQLite
>= 3.35 for the embedded mode).

Why not ``bulk_create(update_conflicts=True)``: it cannot name the predicate of a partial
unique index (tickets' ``(connection, external_id) WHERE external_id IS NOT NULL``,
contacts' ``external_id``), which PostgreSQL needs to pick the index; it cannot compute
an update from the stored row (``t.events_total + EXCLUDED.events_total``); it cannot
return ids; and on PostgreSQL it sends one placeholder per value, where this sends one
array per column (``unnest``): a statement with a few parameters, whatever the row count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as default_connection
from django.db import models
from django.db.models import Field, Model

TARGET = "t"  # the alias of the table: assignments may read the stored row as t.<column>
_PG_ROWS_PER_STATEMENT = 50_000


def _fields(model: type[Model], names: Sequence[str]) -> list[Field]:
    return [model._meta.get_field(name) for name in names]


def on_conflict_clause(
    model: type[Model],
    conflict: Sequence[str],
    *,
    update: Sequence[str] = (),
    assignments: str | None = None,
    where: str = "",
    db: Any = None,
) -> str:
    """`` ON CONFLICT (<conflict>) [WHERE <where>] DO UPDATE SET c = EXCLUDED.c, …`` for the
    `update` fields (or the literal `assignments`), ``DO NOTHING`` when there are none.
    Names are field names or attnames; columns come from the model."""
    quote = (db or default_connection).ops.quote_name
    target = ", ".join(quote(f.column) for f in _fields(model, conflict))
    predicate = f" WHERE {where}" if where else ""
    if assignments is None:
        columns = [quote(f.column) for f in _fields(model, update)]
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    action = f"DO UPDATE SET {assignments}" if assignments else "DO NOTHING"
    return f" ON CONFLICT ({target}){predicate} {action}"


def upsert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    assignments: str | None = None,
    where: str = "",
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (tuples in `columns` order; names or attnames), and on a conflict on
    `conflict` update `update` from the proposed row (or apply `assignments`, which may
    read the stored row as ``t`` and the proposed one as ``EXCLUDED``). Rows must be
    unique on `conflict`: one statement cannot change a row twice. Returns the
    `returning` columns of every written row (nothing when none are asked for)."""
    if not rows:
        return []
    db = default_connection
    quote = db.ops.quote_name
    fields = _fields(model, columns)
    target = (
        f"{quote(model._meta.db_table)} AS {TARGET} ({', '.join(quote(f.column) for f in fields)})"
    )
    tail = on_conflict_clause(
        model, conflict, update=update, assignments=assignments, where=where, db=db
    )
    if returning:
        tail += " RETURNING " + ", ".join(quote(f.column) for f in _fields(model, returning))
    out: list[tuple[Any, ...]] = []
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            for start in range(0, len(rows), _PG_ROWS_PER_STATEMENT):
                sql, params = _unnest(
                    db, target, tail, fields, rows[start : start + _PG_ROWS_PER_STATEMENT]
                )
                cursor.execute(sql, params)
                out.extend(cursor.fetchall() if returning else ())
            return out
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        batch = max(1, (db.features.max_query_params or 999) // len(fields))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = [
                field.get_db_prep_save(value, db)
                for row in chunk
                for field, value in zip(fields, row, strict=True)
            ]
            values = ", ".join([placeholder] * len(chunk))
            # Identifiers come from model metadata; every value is a bound parameter.
            cursor.execute(f"INSERT INTO {target} VALUES {values}{tail}", params)  # noqa: S608
            out.extend(cursor.fetchall() if returning else ())
    return out


def _unnest(
    db: Any, target: str, tail: str, fields: list[Field], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[list[Any]]]:
    """PostgreSQL: one array parameter per column. JSON travels as text and is cast back
    to the column's own type (``json`` or ``jsonb``)."""
    arrays, selected, params = [], [], []
    for position, field in enumerate(fields):
        values = [row[position] for row in rows]
        if isinstance(field, models.JSONField):
            encoder = field.encoder or DjangoJSONEncoder
            arrays.append([None if v is None else json.dumps(v, cls=encoder) for v in values])
            selected.append(f"c{position}::{field.db_type(db)}")
            params.append("%s::text[]")
        else:
            arrays.append(values)
            selected.append(f"c{position}")
            params.append(f"%s::{field.cast_db_type(db)}[]")
    aliases = ", ".join(f"c{i}" for i in range(len(fields)))
    sql = (
        f"INSERT INTO {target} SELECT {', '.join(selected)} "  # noqa: S608
        f"FROM unnest({', '.join(params)}) AS u({aliases}){tail}"
    )
    return sql, arrays
