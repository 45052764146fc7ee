"""Bulk ingestion of daily usage: validate every row, upsert the good ones on (account, date).

Set-based on purpose (DESIGN.md 10): one query resolves the accounts, one loads the
stored rows for the posted keys, one INSERT … ON CONFLICT writes only the rows that
differ, one audit event records the counts. A per-row query would cost seconds at 5,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.dateparse import parse_date

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import InvalidInput, field_error
from cs_platform.core.records import RecordSpec, WriteServices
from cs_platform.core.upsert import upsert
from customers.selectors import account_list_for_actor
from health.models import UsageDaily

MAX_BULK_ROWS = 5000
METRICS = ("active_users", "sessions", "events", "minutes")
ROW_FIELDS = frozenset({"account", "account_external_id", "date", *METRICS})
MAX_COUNT = 2_147_483_647  # PositiveIntegerField's column limit

UsageKey = tuple[int, date]


@dataclass(eq=False)
class UsageRow:
    index: int
    errors: list[dict[str, str]] = field(default_factory=list)
    account_id: int | None = None
    account_external_id: str | None = None
    day: date | None = None
    metrics: tuple[int, ...] = ()
    outcome: str = "error"

    def error(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    @property
    def status(self) -> str:
        return "error" if self.errors else self.outcome

    def result(self) -> dict[str, Any]:
        return {"index": self.index, "status": self.status, "errors": self.errors}


def usage_row_parse(index: int, raw: Any, *, today: date) -> UsageRow:
    """Types and ranges of one row, without the database (accounts are resolved later)."""
    row = UsageRow(index)
    if not isinstance(raw, dict):
        row.error("row", "must be an object")
        return row
    for name in sorted(set(raw) - ROW_FIELDS):
        row.error(name, "unknown field")
    account, external = raw.get("account"), raw.get("account_external_id")
    if account is not None and external is not None:
        row.error("account", "give account or account_external_id, not both")
    elif account is not None:
        if type(account) is not int or account < 1:  # bool is an int subclass: excluded
            row.error("account", "must be a positive integer account id")
        else:
            row.account_id = account
    elif external is not None:
        if not isinstance(external, str) or not external.strip() or len(external) > 64:
            row.error("account_external_id", "must be a non-empty string of at most 64")
        else:
            row.account_external_id = external.strip()
    else:
        row.error("account", "is required (or account_external_id)")
    try:
        row.day = parse_date(raw["date"]) if isinstance(raw.get("date"), str) else None
    except ValueError:
        row.day = None
    if row.day is None:
        row.error("date", "is required: a date, YYYY-MM-DD")
    elif row.day > today:
        row.error("date", f"is in the future (today is {today.isoformat()})")
    values: list[int] = []
    for name in METRICS:
        value = raw.get(name)
        if name not in raw:
            row.error(name, "is required")
        elif type(value) is not int or not 0 <= value <= MAX_COUNT:
            row.error(name, f"must be an integer from 0 to {MAX_COUNT}")
        else:
            values.append(value)
    if len(values) == len(METRICS):
        row.metrics = tuple(values)
        if row.metrics[1] < row.metrics[0]:
            row.error("sessions", "must be at least active_users")
    return row


def _accounts_resolve(actor: Actor, rows: list[UsageRow]) -> None:
    """One query: ids and Mixpanel group ids of the caller's accounts named by the rows."""
    ids = {r.account_id for r in rows if not r.errors and r.account_id is not None}
    externals = {r.account_external_id for r in rows if not r.errors and r.account_external_id}
    found = (
        account_list_for_actor(actor)
        .filter(Q(pk__in=ids) | Q(mixpanel_group_id__in=externals))
        .values_list("id", "mixpanel_group_id")
    )
    known_ids, by_external = set(), {}
    for pk, external in found:
        known_ids.add(pk)
        if external:
            by_external[external] = pk
    for row in rows:
        if row.errors:
            continue
        if row.account_external_id is not None:
            row.account_id = by_external.get(row.account_external_id)
            if row.account_id is None:
                row.error("account_external_id", "no account in your book has this group id")
        elif row.account_id not in known_ids:
            row.error("account", "no account with this id in your book")


def _stored_metrics(keys: set[UsageKey]) -> dict[UsageKey, tuple[int, ...]]:
    """One query: the stored metrics of exactly the posted (account, date) pairs."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        accounts, days = zip(*keys, strict=True)
        table = connection.ops.quote_name(UsageDaily._meta.db_table)
        # unnest() pairs the two arrays, so the join touches only the posted keys.
        # The table name comes from model metadata; every value is a bound parameter.
        columns = "u.account_id, u.date, u.active_users, u.sessions, u.events, u.minutes"
        keys_join = "unnest(%s::bigint[], %s::date[]) AS k(account_id, day)"
        sql = f"SELECT {columns} FROM {table} u JOIN {keys_join} "  # noqa: S608
        sql += "ON u.account_id = k.account_id AND u.date = k.day"
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(accounts), list(days)])
            found = cursor.fetchall()
    else:  # the embedded SQLite mode: a superset by account and day, filtered below
        found = UsageDaily.objects.filter(
            account_id__in={a for a, _ in keys}, date__in={d for _, d in keys}
        ).values_list("account_id", "date", *METRICS)
    return {(a, d): tuple(m) for a, d, *m in found if (a, d) in keys}


def usage_bulk_upsert(
    *, actor: Actor, rows: Any, today: date | None = None, source: str = "api"
) -> list[dict[str, Any]]:
    """Upsert up to 5,000 daily usage rows on (account, date); one result per row.

    Each result is {index, status: created|updated|unchanged|error, errors: [{field,
    message}]}. Bad rows are skipped, good rows stored; rows equal to what is stored are
    `unchanged` and not written, so a repeated request writes nothing at all.
    """
    if not isinstance(rows, list) or not rows or len(rows) > MAX_BULK_ROWS:
        raise field_error("rows", f"must be a list of 1 to {MAX_BULK_ROWS} row objects")
    today = today or clock.today()
    parsed = [usage_row_parse(i, raw, today=today) for i, raw in enumerate(rows)]
    _accounts_resolve(actor, parsed)
    first_seen: dict[UsageKey, int] = {}
    for row in parsed:
        if row.errors:
            continue
        key = (row.account_id, row.day)
        if key in first_seen:
            row.error("date", f"repeats row {first_seen[key]} (same account and date)")
        else:
            first_seen[key] = row.index
    stored = _stored_metrics(set(first_seen))
    for row in parsed:
        if not row.errors:
            before = stored.get((row.account_id, row.day))
            if before is None:
                row.outcome = "created"
            else:
                row.outcome = "unchanged" if before == row.metrics else "updated"
    changed = [r for r in parsed if r.status in ("created", "updated")]
    if changed:
        with transaction.atomic():
            upsert(
                UsageDaily,
                ["account_id", "date", *METRICS, "source"],
                [(r.account_id, r.day, *r.metrics, source) for r in changed],
                conflict=["account_id", "date"],
                update=[*METRICS, "source"],
            )
            audit_record(
                actor,
                "usage.bulk_upsert",
                object_type=UsageDaily._meta.label_lower,
                changes=_summary(parsed, changed),
            )
    return [r.result() for r in parsed]


def _summary(parsed: list[UsageRow], changed: list[UsageRow]) -> dict[str, Any]:
    """What a bulk ingest's audit event says: counts and the days written, no values."""
    counts = {s: 0 for s in ("created", "updated", "unchanged", "error")}
    for row in parsed:
        counts[row.status] += 1
    days = [r.day for r in changed]
    return {
        "rows": len(parsed),
        **counts,
        "accounts": len({r.account_id for r in changed}),
        "date_from": min(days),
        "date_to": max(days),
    }


USAGE_RECORD = RecordSpec(UsageDaily, "usage_day", account="account")


def usage_day_save(
    *, actor: Actor, account_id: int, day: date, metrics: dict[str, Any], source: str = "admin"
) -> UsageDaily:
    """Record or correct one account-day: the bulk upsert's rules (the account in the
    caller's book, no future day, counts in range, sessions at least active users) for
    one row, with its audit event."""
    raw = {"account": account_id, "date": day.isoformat() if day else None, **metrics}
    [result] = usage_bulk_upsert(actor=actor, rows=[raw], source=source)
    if result["errors"]:
        errors = [{**e, "type": "invalid"} for e in result["errors"]]
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"invalid usage day: {fields}", details={"errors": errors})
    return UsageDaily.objects.get(account_id=account_id, date=day)


def _metrics(values: dict[str, Any], instance: UsageDaily | None = None) -> dict[str, Any]:
    return {m: values.get(m, getattr(instance, m, None)) for m in METRICS}


USAGE_WRITES = WriteServices(
    create=lambda *, actor, fields: usage_day_save(
        actor=actor,
        account_id=fields.get("account_id"),
        day=fields.get("date"),
        metrics=_metrics(fields),
    ),  # fmt: skip
    update=lambda *, actor, instance, changes: usage_day_save(
        actor=actor,
        account_id=instance.account_id,
        day=instance.date,
        metrics=_metrics(changes, instance),
    ),  # fmt: skip
    delete=USAGE_RECORD.writes().delete,
    create_fields=("account_id", "date", *METRICS),
    update_fields=METRICS,
)
