"""Bulk writes for the demo seed: COPY on PostgreSQL, batched multi-row INSERTs elsewhere.

Rows carry explicit primary keys (1..n in generation order, after the tables were emptied
and their identity sequences restarted), so foreign keys are known without reading ids
back, and two runs with one seed produce identical ids as well as identical content.
Timestamps Django would stamp with "now" (``auto_now_add``) are explicit too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, NoReturn

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models
from psycopg import Copy
from psycopg.copy import FileWriter, QueuedLibpqWriter

# PostgreSQL's binary COPY framing: the header (no flags, no extension) and the end mark.
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\0" + bytes(8)
BINARY_TRAILER = b"\xff\xff"
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
    # (table, constraint, definition, referenced table)
    dropped_keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    suspended_tables: set[str] = field(default_factory=set)
    dropped_indexes: list[tuple[str, str, str]] = field(default_factory=list)
    triggers_off: list[tuple[str, str]] = field(default_factory=list)
    # PostgreSQL, between prefetch() and close(): the child processes writing COPY data.
    children: list[_Prefetch] = field(default_factory=list)

    def suspend_checks(
        self,
        targets: Sequence[type[models.Model]],
        *,
        triggers: Callable[[str], bool],
        rebuild_indexes: Sequence[type[models.Model]] = (),
    ) -> None:
        """PostgreSQL: drop the foreign keys of ``targets`` and switch off those of their
        triggers whose name ``triggers`` accepts, until ``finish()`` and
        ``triggers_resume()``; drop the indexes of ``rebuild_indexes`` that back no
        constraint, each table's until its ``load()`` has written it.

        A deferred foreign key checks each row by its own index probe at commit: at
        100,000 accounts that is ~22 M probes, most of the seed's database time. Re-added
        once both its tables are written, each key is validated by one set-based query
        instead. A statement trigger (portfolio rollup, renewal column, cache versions)
        runs over each COPY's whole transition table (15 M usage rows spill to disk);
        the caller rebuilds what the switched-off ones maintain once, set-based. An
        index maintained row by row
        during a COPY costs more than building it once from the loaded table (usage at
        20,000 accounts: 8.5 s with its three indexes, 1.9 s without them plus 1.7 s to
        build the two that back no constraint); primary keys and unique constraints stay
        (foreign keys point at them). Only worth it for big tables: a small one's
        rebuild costs more than it saves. Inside the seed's transaction: a failure
        restores everything.
        """
        if connection.vendor != "postgresql":
            return
        tables = [m._meta.db_table for m in targets]
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # ALTER TABLE refuses a table with pending deferred checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), r.relname"
                " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                " JOIN pg_class r ON r.oid = k.confrelid"
                " WHERE k.contype = 'f' AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid)"
                " ORDER BY 1, 2",
                [tables],
            )
            self.dropped_keys = cursor.fetchall()
            self.suspended_tables = set(tables)
            for table, name, _definition, _referenced in self.dropped_keys:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            cursor.execute(
                "SELECT c.relname, x.relname, pg_get_indexdef(i.indexrelid)"
                " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                " JOIN pg_class x ON x.oid = i.indexrelid"
                " WHERE c.relname = ANY(%s) AND pg_table_is_visible(c.oid)"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
                " ORDER BY 1, 2",
                [[m._meta.db_table for m in rebuild_indexes]],
            )
            self.dropped_indexes = cursor.fetchall()
            for _table, name, _definition in self.dropped_indexes:
                cursor.execute(f"DROP INDEX {qn(name)}")
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
            # Index builds sort the largest index (15.6 M usage rows) in memory, not in
            # runs on disk, in this backend alone: its CPU is the backend's (what the
            # seed benchmark measures) and the second core is left to the generating
            # child process.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 0")

    def load(
        self,
        model: type[models.Model],
        rows: Iterable[Mapping[str, Any] | tuple[Any, ...]],
        *,
        columns: Sequence[str] | None = None,
        copy_binary: Iterable[tuple[int, bytes]] | None = None,
    ) -> int:
        """Write ``rows``: dicts (missing fields take their model default) or, with
        ``columns``, tuples in that column order (the fast path for big tables). On
        PostgreSQL ``copy_binary``, when given, replaces ``rows``: blocks of rows in
        binary COPY format (``columns`` order, without signature and trailer) with
        their row counts (the fastest path: no per-value work in Python, no parsing in
        PostgreSQL), and ``rows`` is not read."""
        started = time.perf_counter()
        child = next((c for c in self.children if model._meta.label in c.labels), None)
        if child is not None:
            written = self._copy_prefetched(child, model)
            self._note(model, written, started)
            return written
        if copy_binary is not None and columns is not None and connection.vendor == "postgresql":
            written = self._copy_binary(model, list(columns), copy_binary)
            self._note(model, written, started)
            return written
        cols, converters, prepared = _prepared(model, rows, columns)
        if connection.vendor == "postgresql":
            written = self._copy(model, cols, converters, prepared)
        else:
            written = self._insert(model, cols, converters, prepared)
        self._note(model, written, started)
        return written

    def prefetch(self, tables: Mapping[type[models.Model], Iterable[Mapping[str, Any]]]) -> None:
        """PostgreSQL: generate the COPY data of ``tables`` (dict rows, not read yet) in a
        child process from now on, while this process loads the other tables; ``load()``
        of one of them then copies what the child wrote and ignores its ``rows``.

        Generation is most of the seed's CPU and this process is one core: the child puts
        the second core to work on the tables whose rows depend on the profiles alone
        (tickets, activities, contacts, survey answers) while this one generates the
        rest and PostgreSQL stores it. Each call starts its own child. Elsewhere (SQLite,
        no ``fork``) this does nothing and ``load()`` reads ``rows`` as usual. ``close()``
        ends the children."""
        if connection.vendor != "postgresql" or not hasattr(os, "fork") or not tables:
            return
        connection.ensure_connection()
        folder = tempfile.mkdtemp(prefix="seed-demo-")
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: writes files and exits, never touches the database
            os.close(read_end)
            _prefetch_child(tables, folder, write_end)
        os.close(write_end)
        labels = {model._meta.label for model in tables}
        self.children.append(_Prefetch(pid, folder, os.fdopen(read_end, "r"), labels))

    def close(self) -> None:
        """End the prefetching children (killed if still running: the load failed) and
        remove their files. Safe to call more than once."""
        children, self.children = self.children, []
        for child in children:
            if child.exit_status is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                os.waitpid(child.pid, 0)
            child.status.close()
            shutil.rmtree(child.folder, ignore_errors=True)

    @staticmethod
    def _copy_prefetched(child: _Prefetch, model: type[models.Model]) -> int:
        path, written = child.wait_for(model._meta.label)
        cols = [f.attname for f in model._meta.concrete_fields]
        connection.ensure_connection()
        qn = connection.ops.quote_name
        sql = f"COPY {qn(model._meta.db_table)} ({', '.join(map(qn, cols))}) FROM STDIN"
        with (
            open(path, "rb") as data,
            connection.connection.cursor() as cursor,
            _copy_into(cursor, sql) as copy,
        ):
            while block := data.read(1 << 20):
                copy.write(block)
        os.unlink(path)
        return written

    def _note(self, model: type[models.Model], written: int, started: float) -> None:
        table = model._meta.db_table
        if any(t == table for t, _name, _definition in self.dropped_indexes):
            # Built now, not in finish(): while this backend sorts, the prefetching
            # child process still has generating to do on the other core.
            with connection.cursor() as cursor:
                for t, _name, definition in self.dropped_indexes:
                    if t == table:
                        cursor.execute(definition)
            self.dropped_indexes = [d for d in self.dropped_indexes if d[0] != table]
        if model not in self.loaded:
            self.loaded.append(model)
        if connection.vendor == "postgresql":
            self._keys_add(ready_only=True)
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + written
        self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

    def _keys_add(self, *, ready_only: bool) -> None:
        """Re-add (validating) the dropped foreign keys; with ``ready_only`` only those
        whose table and referenced table are both written (or not the seed's): validated
        while the children still generate rather than all at the end, where only
        PostgreSQL works. Each table is loaded once, so no later COPY re-checks them."""
        loaded = {m._meta.db_table for m in self.loaded}

        def ready(table: str, referenced: str) -> bool:
            return table in loaded and (
                referenced in loaded or referenced not in self.suspended_tables
            )

        keys = [k for k in self.dropped_keys if not ready_only or ready(k[0], k[3])]
        if not keys:
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # ALTER TABLE refuses a table with deferred checks pending: none are, but a
            # trigger left on could queue one.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, name, definition, _referenced in keys:
                cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.dropped_keys = [k for k in self.dropped_keys if k not in keys]

    def finish(self) -> None:
        """Move id sequences past the explicit ids, check deferred constraints now, build
        the indexes and re-add (validating) the foreign keys ``suspend_checks()`` dropped."""
        self.close()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.loaded):
                cursor.execute(sql)
            if connection.vendor != "postgresql":
                return
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _table, _name, definition in self.dropped_indexes:
                cursor.execute(definition)  # tables that were never loaded
            self.dropped_indexes = []
        self._keys_add(ready_only=False)  # the rest, e.g. of tables never loaded
        with connection.cursor() as cursor:
            # Immediate until triggers_resume() (see there).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

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
        with connection.connection.cursor() as cursor, _copy_into(cursor, sql) as copy:
            return _write_rows(copy, converters, rows)

    @staticmethod
    def _copy_binary(
        model: type[models.Model], cols: list[str], blocks: Iterable[tuple[int, bytes]]
    ) -> int:
        connection.ensure_connection()
        qn = connection.ops.quote_name
        names = ", ".join(map(qn, cols))
        sql = f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN (FORMAT BINARY)"
        written = 0
        with connection.connection.cursor() as cursor, _copy_into(cursor, sql) as copy:
            copy.write(BINARY_SIGNATURE)
            for count, data in blocks:
                copy.write(data)
                written += count
            copy.write(BINARY_TRAILER)
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
    plans: dict[tuple[str, ...], Callable[[Mapping[str, Any]], tuple[Any, ...]]] = {}

    def plan_for(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        missing = required.difference(keys)
        if missing:
            raise ValueError(f"{model._meta.label} row lacks {sorted(missing)}")
        unknown = set(keys).difference(fields)
        if unknown:
            raise ValueError(f"{model._meta.label} has no column {sorted(unknown)}")
        present = [c for c in cols if c in keys]
        get = itemgetter(*present)
        if len(present) == 1:
            return lambda row: (get(row),)
        if len(present) == len(cols):
            return get  # a tuple of the values in ``cols`` order
        # Omitted fields at their positions, in ascending order: a callable default (a
        # fresh dict, a UUID) is called per row, a constant one read once.
        fill: list[tuple[int, Callable[[], Any]]] = []
        for i, c in enumerate(cols):
            if c in keys:
                continue
            f = fields[c]
            if f.has_default() and callable(f.default):
                fill.append((i, f.get_default))
            else:
                value = f.get_default()
                fill.append((i, lambda value=value: value))

        def shape(row: Mapping[str, Any]) -> tuple[Any, ...]:
            out = list(get(row))
            for i, default in fill:
                out.insert(i, default())
            return tuple(out)

        return shape

    def shape(row: Mapping[str, Any]) -> tuple[Any, ...]:
        # Rows of one generator share their keys (one dict literal): checked and planned
        # once per key order, not per row (~5 µs a row before, most of it set algebra).
        keys = tuple(row)
        plan = plans.get(keys)
        if plan is None:
            plan = plans[keys] = plan_for(keys)
        return plan(row)

    return shape


def _prepared(
    model: type[models.Model], rows: Iterable[Any], columns: Sequence[str] | None
) -> tuple[list[str], list[Converter], Iterable[Sequence[Any]]]:
    """The column names, converters and tuple rows ``load()`` writes for ``rows``."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    cols = list(columns) if columns is not None else list(fields)
    shape = _tuple_shaper(model, fields, cols) if columns is None else None
    prepared = (shape(row) for row in rows) if shape else rows
    return cols, [TableLoader._converter(fields[c]) for c in cols], prepared


def _write_rows(copy: Any, converters: list[Converter], rows: Rows) -> int:
    active = [(i, fn) for i, fn in enumerate(converters) if fn is not None]
    written = 0
    for row in rows:
        if active:
            row = list(row)
            for i, fn in active:
                if row[i] is not None:
                    row[i] = fn(row[i])
        copy.write_row(row)
        written += 1
    return written


@dataclass
class _Prefetch:
    """A child process writing COPY text files, one per table, in the order it was given;
    a line on ``status`` (label, row count, file) says that a file is complete."""

    pid: int
    folder: str
    status: Any
    labels: set[str]
    done: dict[str, tuple[str, int]] = field(default_factory=dict)
    exit_status: int | None = None

    def wait_for(self, label: str) -> tuple[str, int]:
        while label not in self.done:
            line = self.status.readline()
            if not line:  # the child ended without writing this table: it failed
                _pid, status = os.waitpid(self.pid, 0)
                self.exit_status = status
                error = Path(self.folder, "error")
                detail = error.read_text() if error.exists() else f"wait status {status}"
                raise RuntimeError(f"generating {label} in the child process failed: {detail}")
            done_label, count, path = line.rstrip("\n").split("\t")
            self.done[done_label] = (path, int(count))
        if len(self.done) == len(self.labels) and self.exit_status is None:
            _pid, self.exit_status = os.waitpid(self.pid, 0)  # all written: reap it
        return self.done[label][0], self.done[label][1]


def _prefetch_child(
    tables: Mapping[type[models.Model], Iterable[Mapping[str, Any]]], folder: str, status_fd: int
) -> NoReturn:
    """Runs in the forked child: format each table's rows as COPY text into a file, report
    it, and leave with ``os._exit`` (no atexit handlers, no closing of the connection the
    parent still uses)."""
    code = 0
    try:
        cursor = connection.connection.cursor()  # for its adapters only: no statement runs
        with os.fdopen(status_fd, "w", buffering=1) as status:
            for n, (model, rows) in enumerate(tables.items()):
                path = os.path.join(folder, f"{n}.copy")
                _cols, converters, prepared = _prepared(model, rows, None)
                with open(path, "wb") as out, Copy(cursor, writer=FileWriter(out)) as copy:
                    count = _write_rows(copy, converters, prepared)
                status.write(f"{model._meta.label}\t{count}\t{path}\n")
    except BrokenPipeError:  # the parent is gone: nobody will read or remove the files
        code = 1
        shutil.rmtree(folder, ignore_errors=True)
    except BaseException:
        code = 1
        with contextlib.suppress(Exception):
            Path(folder, "error").write_text(traceback.format_exc())
    finally:
        os._exit(code)
