"""Bulk writes for the demo seed: COPY on PostgreSQL, batched multi-row INSERTs elsewhere.

Rows carry explicit primary keys (1..n in generation order, after the tables were emptied
and their identity sequences restarted), so foreign keys are known without reading ids
back, and two runs with one seed produce identical ids as well as identical content.
Timestamps Django would stamp with "now" (``auto_now_add``) are explicit too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter

SQLITE_BATCH = 500  # rows per multi-row INSERT, fewer when the driver caps bound parameters
Converter = Callable[[Any], Any] | None
Rows = Iterable[Sequence[Any]]


def _json_dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def demo_models(roots: Sequence[type[models.Model]]) -> list[type[models.Model]]:
    """``roots`` and every model (M2M tables included) whose rows depend on them by FK.

    Computed from the model graph so that tables other apps add later (health snapshots,
    e-mails, sync ledgers) are emptied with the accounts they point at.
    """
    found: dict[type[models.Model], None] = dict.fromkeys(roots)
    candidates = apps.get_models(include_auto_created=True)
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in found or not model._meta.managed or model._meta.proxy:
                continue
            for f in model._meta.concrete_fields:
                if f.is_relation and f.related_model in found:
                    found[model] = None
                    changed = True
                    break
    return list(found)


def demo_tables_wipe(targets: Sequence[type[models.Model]]) -> None:
    """Empty ``targets`` and restart their id sequences (inside the caller's transaction)."""
    tables = [m._meta.db_table for m in targets]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Rows written earlier in this transaction leave deferred FK checks pending,
            # and TRUNCATE refuses to run over pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(map(qn, tables))} RESTART IDENTITY")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        for table in tables:
            cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608 - names from model meta
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
            if cursor.fetchone():
                cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)  # noqa: S608


@dataclass
class TableLoader:
    """Writes rows table by table and remembers counts and timings for the summary."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    loaded: list[type[models.Model]] = field(default_factory=list)
    # PostgreSQL, between suspend_checks() and finish()/triggers_resume():
    dropped_keys: list[tuple[str, str, str]] = field(default_factory=list)
    triggers_off: list[tuple[str, str]] = field(default_factory=list)

    def suspend_checks(
        self, targets: Sequence[type[models.Model]], *, triggers: Callable[[str], bool]
    ) -> None:
        """PostgreSQL: drop the foreign keys of ``targets`` and switch off those of their
        triggers whose name ``triggers`` accepts, until ``finish()`` and
        ``triggers_resume()``.

        A deferred foreign key checks each row by its own index probe at commit: at
        100,000 accounts that is ~22 M probes, most of the seed's database time. Re-added
        after the load, each key is validated by one set-based query instead. A statement
        trigger (portfolio rollup, renewal column, cache versions) runs over each COPY's
        whole transition table (15 M usage rows spill to disk); the caller rebuilds what
        the switched-off ones maintain once, set-based. Inside the seed's transaction: a
        failure restores everything.
        """
        if connection.vendor != "postgresql":
            return
        tables = [m._meta.db_table for m in targets]
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # ALTER TABLE refuses a table with pending deferred checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)"
                " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                " WHERE k.contype = 'f' AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid)"
                " ORDER BY 1, 2",
                [tables],
            )
            self.dropped_keys = cursor.fetchall()
            for table, name, _definition in self.dropped_keys:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND c.relname = ANY(%s)"
                " AND pg_table_is_visible(c.oid) ORDER BY 1, 2",
                [tables],
            )
            self.triggers_off = [(t, name) for t, name in cursor.fetchall() if triggers(name)]
            for table, name in self.triggers_off:
                cursor.execute(f"ALTER TABLE {qn(table)} DISABLE TRIGGER {qn(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def load(
        self,
        model: type[models.Model],
        rows: Iterable[Mapping[str, Any] | tuple[Any, ...]],
        *,
        columns: Sequence[str] | None = None,
        copy_text: Iterable[tuple[int, str]] | None = None,
    ) -> int:
        """Write ``rows``: dicts (missing fields take their model default) or, with
        ``columns``, tuples in that column order (the fast path for big tables). On
        PostgreSQL ``copy_text``, when given, replaces ``rows``: blocks of COPY text lines
        in ``columns`` order with their row counts (the fastest path: no per-value
        adaptation), and ``rows`` is not read."""
        started = time.perf_counter()
        if copy_text is not None and columns is not None and connection.vendor == "postgresql":
            written = self._copy_text(model, list(columns), copy_text)
            self._note(model, written, started)
            return written
        fields = {f.attname: f for f in model._meta.concrete_fields}
        cols = list(columns) if columns is not None else list(fields)
        shape = _tuple_shaper(model, fields, cols) if columns is None else None
        prepared = (shape(row) for row in rows) if shape else rows
        converters = [self._converter(fields[c]) for c in cols]
        if connection.vendor == "postgresql":
            written = self._copy(model, cols, converters, prepared)
        else:
            written = self._insert(model, cols, converters, prepared)
        self._note(model, written, started)
        return written

    def _note(self, model: type[models.Model], written: int, started: float) -> None:
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + written
        self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
        if model not in self.loaded:
            self.loaded.append(model)

    def finish(self) -> None:
        """Move id sequences past the explicit ids, check deferred constraints now and
        re-add (validating) the foreign keys ``suspend_checks()`` dropped."""
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.loaded):
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table, name, definition in self.dropped_keys:
                    cursor.execute(
                        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
                    )
                self.dropped_keys = []

    def triggers_resume(self) -> None:
        """Switch the triggers ``suspend_checks()`` turned off back on, and deferrable
        constraints back to deferred: a commit-time trigger queued after this (the
        dashboard's version bump) must run at commit, not at its statement. Writes
        between ``finish()`` and this run their checks at once (an ALTER TABLE refuses a
        table with checks pending, and rows inserted in this transaction are re-checked
        when updated)."""
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, name in self.triggers_off:
                cursor.execute(f"ALTER TABLE {qn(table)} ENABLE TRIGGER {qn(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.triggers_off = []

    @staticmethod
    def _converter(f: models.Field) -> Converter:
        if isinstance(f, models.JSONField):
            return _json_dump
        if connection.vendor == "postgresql":
            return None  # psycopg adapts dates, datetimes, Decimals and booleans itself
        if isinstance(f, models.DateField | models.DecimalField | models.BooleanField):
            return lambda value: f.get_db_prep_save(value, connection)
        return None

    @staticmethod
    def _copy(
        model: type[models.Model], cols: list[str], converters: list[Converter], rows: Rows
    ) -> int:
        connection.ensure_connection()
        qn = connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(map(qn, cols))}) FROM STDIN"
        active = [(i, fn) for i, fn in enumerate(converters) if fn is not None]
        written = 0
        with connection.connection.cursor() as cursor, _copy_into(cursor, sql) as copy:
            for row in rows:
                if active:
                    row = list(row)
                    for i, fn in active:
                        if row[i] is not None:
                            row[i] = fn(row[i])
                copy.write_row(row)
                written += 1
        return written

    @staticmethod
    def _copy_text(
        model: type[models.Model], cols: list[str], blocks: Iterable[tuple[int, str]]
    ) -> int:
        connection.ensure_connection()
        qn = connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(map(qn, cols))}) FROM STDIN"
        written = 0
        with connection.connection.cursor() as cursor, _copy_into(cursor, sql) as copy:
            for count, text in blocks:
                copy.write(text)
                written += count
        return written

    @staticmethod
    def _insert(
        model: type[models.Model], cols: list[str], converters: list[Converter], rows: Rows
    ) -> int:
        qn = connection.ops.quote_name
        table, names = qn(model._meta.db_table), ", ".join(map(qn, cols))
        head = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - names from model meta
        one = "(" + ", ".join(["%s"] * len(cols)) + ")"
        active = [(i, fn) for i, fn in enumerate(converters) if fn is not None]
        max_params = connection.features.max_query_params or 30000
        batch_size = max(1, min(SQLITE_BATCH, max_params // len(cols)))
        written, batch = 0, []
        with connection.cursor() as cursor:

            def flush() -> None:
                params = [value for row in batch for value in row]
                cursor.execute(head + ", ".join([one] * len(batch)), params)

            for row in rows:
                row = list(row)
                for i, fn in active:
                    if row[i] is not None:
                        row[i] = fn(row[i])
                batch.append(row)
                if len(batch) >= batch_size:
                    flush()
                    written += len(batch)
                    batch = []
            if batch:
                flush()
                written += len(batch)
        return written


def _copy_into(cursor: Any, sql: str) -> Any:
    """A COPY whose data a separate thread sends to the server, so generating the next
    rows in Python overlaps with PostgreSQL storing the previous ones (on two cores the
    seed is otherwise one core waiting for the other)."""
    return cursor.copy(sql, writer=QueuedLibpqWriter(cursor))


def _tuple_shaper(
    model: type[models.Model], fields: dict[str, models.Field], cols: list[str]
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """Dict rows to tuples in ``cols`` order, filling omitted fields with their defaults.

    A generator must set the primary key and every auto_now/auto_now_add timestamp itself
    (a default of "now" would make two runs differ); omitting one is a programming error.
    """
    required = {
        name
        for name, f in fields.items()
        if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    defaults: dict[str, Callable[[], Any]] = {}
    for name, f in fields.items():
        if name not in required:
            defaults[name] = f.get_default

    def shape(row: Mapping[str, Any]) -> tuple[Any, ...]:
        missing = required.difference(row)
        if missing:
            raise ValueError(f"{model._meta.label} row lacks {sorted(missing)}")
        unknown = set(row).difference(fields)
        if unknown:
            raise ValueError(f"{model._meta.label} has no column {sorted(unknown)}")
        return tuple(row[c] if c in row else defaults[c]() for c in cols)

    return shape
