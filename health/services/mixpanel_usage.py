"""Mixpanel stream: raw events → ``health.UsageDaily`` (source "mixpanel") and
``health.FeatureAdoption``, one export window (default: one day) per commit.

It writes health's tables, so it lives in health and is registered into the integrations
sync framework (runs, cursors, page commits, the Mixpanel client) by ``HealthConfig.ready``.

A window's totals replace what an earlier export of the same days stored: UsageDaily
rows are recomputed, and FeatureAdoption's running ``events_total`` moves by the
difference against the window's previous contribution (kept in ``FeatureUsageDay``).
Re-exporting a window — the late-data lookback, a full resync, a crashed run — therefore
never counts an event twice.

``Connection.settings``: ``history_days`` (90) — how far a first sync reaches back;
``late_days`` (1) — committed days re-exported each run for late events;
``export_days_per_request`` (7: Mixpanel allows about 60 export queries an hour, and
one commit per week of history keeps a first sync's writes few); the property names of
``RollupOptions``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta
from typing import Any

from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest, Least
from django.utils.text import slugify

from cs_platform.core.upsert import upsert
from health.models import Feature, FeatureAdoption, UsageDaily
from integrations.clients import MixpanelClient
from integrations.models import FeatureUsageDay
from integrations.services.syncs.context import PageResult, SyncContext
from integrations.services.syncs.matching import accounts_by_domain, accounts_by_external_id
from integrations.services.syncs.usage_rollup import (
    DayUsage,
    RollupOptions,
    UsageKey,
    UsageRollup,
    day_of,
    days_between,
)


def export_windows(ctx: SyncContext) -> list[tuple[date, date]]:
    """Complete UTC days not yet committed (plus the late-data lookback)."""
    last_complete = ctx.now.astimezone(UTC).date() - timedelta(days=1)
    first = last_complete - timedelta(days=int(ctx.option("history_days", 90)) - 1)
    state = ctx.cursor("events") or {}
    if state.get("last_day"):
        resume = date.fromisoformat(state["last_day"]) + timedelta(
            days=1 - int(ctx.option("late_days", 1))
        )
        first = max(first, resume)
    return days_between(first, last_complete, max(1, int(ctx.option("export_days_per_request", 7))))


def sync_events(ctx: SyncContext) -> None:
    assert isinstance(ctx.client, MixpanelClient)
    options = RollupOptions(
        **{name: str(ctx.option(name, default)) for name, default in vars(RollupOptions()).items()}
    )
    for first, last in export_windows(ctx):
        rollup = UsageRollup(options)
        for event in ctx.client.export_events(first, last):
            rollup.add(event)
        ctx.commit_page(
            "events",
            lambda rollup=rollup, first=first, last=last: _usage_write(ctx, rollup, first, last),
            {"last_day": last.isoformat()},
        )


def _accounts_for(rollup: UsageRollup) -> dict[UsageKey, int | None]:
    keys = rollup.keys()
    groups = accounts_by_external_id("mixpanel_group_id", [v for k, v in keys if k == "group"])
    domains = accounts_by_domain([v for k, v in keys if k == "domain"])
    return {(k, v): (groups if k == "group" else domains).get(v) for k, v in keys}


def _usage_write(ctx: SyncContext, rollup: UsageRollup, first: date, last: date) -> PageResult:
    result = PageResult(fetched=rollup.read, failed=len(rollup.invalid))
    for insert_id, reason in rollup.invalid[:5]:
        result.samples.append({"stream": "events", "id": insert_id, "reason": f"invalid: {reason}"})
    account_of = _accounts_for(rollup)
    for key, account_id in sorted(account_of.items()):
        if account_id is None:
            result.unmatched += rollup.events_by_key[key]
            field = "mixpanel_group_id" if key[0] == "group" else "domain"
            result.samples.append(
                {"stream": "events", "id": f"{key[0]}:{key[1]}",
                 "reason": f"events of {key[1]}: no account with this {field}"}
            )  # fmt: skip
    per_day: dict[tuple[int, date], DayUsage] = {}
    for (key, day_number), usage in rollup.days.items():
        account_id = account_of[key]
        if account_id is not None:
            merged = per_day.setdefault((account_id, day_of(day_number)), DayUsage())
            merged.merge(usage)
    _daily_write(per_day, result)
    feature_counts: defaultdict[tuple[int, str, date], int] = defaultdict(int)
    for (key, day_number, feature), count in rollup.features.items():
        account_id = account_of[key]
        if account_id is not None:
            feature_counts[(account_id, feature, day_of(day_number))] += count
    _features_write(ctx, feature_counts, first, last, result)
    if rollup.duplicates:
        result.details["duplicates_dropped"] = rollup.duplicates
    return result


def _daily_write(per_day: dict[tuple[int, date], DayUsage], result: PageResult) -> None:
    if not per_day:
        return
    existing = {
        (a, d): (u, s, e)
        for a, d, u, s, e in UsageDaily.objects.filter(
            account_id__in={a for a, _ in per_day}, date__in={d for _, d in per_day}
        ).values_list("account_id", "date", "active_users", "sessions", "events")
    }
    rows = []
    for (account_id, day), usage in per_day.items():
        values = (len(usage.users), len(usage.sessions), usage.events)
        before = existing.get((account_id, day))
        if before == values:
            continue
        if before is None:
            result.created += 1
        else:
            result.updated += 1
        # minutes: Mixpanel's export says nothing about it; an existing value is kept.
        rows.append((account_id, day, *values, 0, "mixpanel"))
    upsert(
        UsageDaily,
        ["account_id", "date", "active_users", "sessions", "events", "minutes", "source"],
        rows,
        conflict=["account_id", "date"],
        assignments="active_users = EXCLUDED.active_users, sessions = EXCLUDED.sessions, "
        "events = EXCLUDED.events, source = EXCLUDED.source",
    )


def features_ensure(names: set[str]) -> dict[str, int]:
    """Feature id per event value, creating catalogue entries for new features."""
    keys = {name: slugify(name)[:80] for name in names}
    keys = {name: key for name, key in keys.items() if key}
    Feature.objects.bulk_create(
        [Feature(key=key, name=name[:160]) for name, key in keys.items()], ignore_conflicts=True
    )
    ids = dict(Feature.objects.filter(key__in=set(keys.values())).values_list("key", "id"))
    return {name: ids[key] for name, key in keys.items()}


def _features_write(
    ctx: SyncContext,
    counts: dict[tuple[int, str, date], int],
    first: date,
    last: date,
    result: PageResult,
) -> None:
    feature_ids = features_ensure({feature for _, feature, _ in counts})
    new: defaultdict[tuple[int, int, date], int] = defaultdict(int)
    for (account_id, feature, day), count in counts.items():
        if feature in feature_ids:
            new[(account_id, feature_ids[feature], day)] += count
    ledger = FeatureUsageDay.objects.filter(
        connection_id=ctx.connection.pk, date__gte=first, date__lte=last
    )
    old: dict[tuple[int, int, date], tuple[int, int]] = {
        (a, f, d): (pk, e)
        for pk, a, f, d, e in ledger.values_list("id", "account_id", "feature_id", "date", "events")
    }
    delta: defaultdict[tuple[int, int], int] = defaultdict(int)
    used_days: defaultdict[tuple[int, int], list[date]] = defaultdict(list)
    for key in new.keys() | old.keys():
        before = old[key][1] if key in old else 0
        delta[key[:2]] += new.get(key, 0) - before
        if new.get(key):
            used_days[key[:2]].append(key[2])
    gone = [pk for key, (pk, _) in old.items() if key not in new]
    if gone:
        FeatureUsageDay.objects.filter(pk__in=gone).delete()
    upsert(
        FeatureUsageDay,
        ["connection_id", "date", "account_id", "feature_id", "events"],
        [
            (ctx.connection.pk, d, a, f, e)
            for (a, f, d), e in new.items()
            if old.get((a, f, d), (0, None))[1] != e
        ],
        conflict=["connection_id", "date", "account_id", "feature_id"],
        assignments="events = EXCLUDED.events",
    )
    result.details["feature_adoption_rows"] = _adoption_write(delta, used_days)


def _adoption_write(
    delta: dict[tuple[int, int], int], used_days: dict[tuple[int, int], list[date]]
) -> int:
    """Move each (account, feature) total by this window's change, in one statement:
    ON CONFLICT computes from the row's current value under its lock, so two
    connections feeding one account cannot lose each other's counts."""
    grow = [
        (a, f, min(used_days[(a, f)]), max(used_days[(a, f)]), change, 0)
        for (a, f), change in delta.items()
        if (a, f) in used_days and change >= 0
    ]
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    upsert(
        FeatureAdoption,
        ["account_id", "feature_id", "first_used_on", "last_used_on", "events_total",
         "users_last_30d"],
        grow,
        conflict=["account_id", "feature_id"],
        assignments=(
            "events_total = t.events_total + EXCLUDED.events_total, "
            f"first_used_on = {least}(t.first_used_on, EXCLUDED.first_used_on), "
            f"last_used_on = {greatest}(t.last_used_on, EXCLUDED.last_used_on)"
        ),
    )  # fmt: skip
    # A re-export with fewer events than before (rare): the insert path above cannot
    # carry a negative change, so these pairs are updated one by one.
    shrink = [(pair, change) for pair, change in delta.items() if change < 0]
    for (account_id, feature_id), change in shrink:
        days = used_days.get((account_id, feature_id), [])
        changes: dict[str, Any] = {"events_total": Greatest(F("events_total") + change, 0)}
        if days:
            changes["first_used_on"] = Least(F("first_used_on"), min(days))
            changes["last_used_on"] = Greatest(F("last_used_on"), max(days))
        FeatureAdoption.objects.filter(account_id=account_id, feature_id=feature_id).update(
            **changes
        )
    return len(grow) + len(shrink)
