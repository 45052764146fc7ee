"""The Mixpanel sync against the sandbox's raw export over HTTP: daily usage and
feature adoption equal what the export says, and re-exporting never double counts."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import requests

from cs_platform.core import clock
from customers.demo_identity import demo_company
from health.models import FeatureAdoption, UsageDaily
from integrations.models import FeatureUsageDay
from integrations.services.syncs import sync_run_execute
from integrations.tests.sync_support import T, make_connection, seed_accounts

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox(accounts=12, days=10, seed=3)]
ACCOUNTS = range(1, 11)  # accounts 11 and 12 send events but are not ours


def _export(sandbox, first, last):
    c = sandbox.credentials
    response = requests.get(
        f"{sandbox.url}/mixpanel/api/2.0/export",
        params={"from_date": first.isoformat(), "to_date": last.isoformat()},
        auth=(c.mixpanel_username, c.mixpanel_secret),
        timeout=T,
    )
    return [json.loads(line) for line in response.text.splitlines() if line]


def _oracle(events, group_to_account):
    """Plain recount: per (account, day) events, distinct users, distinct
    (user, session); per (account, feature) Feature Used events and the days used."""
    daily = defaultdict(lambda: [0, set(), set()])
    features = defaultdict(list)
    seen = set()
    unmatched = 0
    for e in events:
        p = e["properties"]
        if p["$insert_id"] in seen:
            continue
        seen.add(p["$insert_id"])
        account = group_to_account.get(p["account_id"])
        if account is None:
            unmatched += 1
            continue
        day = datetime.fromtimestamp(p["time"], UTC).date()
        row = daily[(account, day)]
        row[0] += 1
        row[1].add(p["distinct_id"])
        row[2].add((p["distinct_id"], p["session_id"]))
        if e["event"] == "Feature Used":
            features[(account, p["feature"])].append(day)
    usage = {k: (len(v[1]), len(v[2]), v[0]) for k, v in daily.items()}
    adoption = {k: (min(v), max(v), len(v)) for k, v in features.items()}
    return usage, adoption, unmatched


def _stored():
    usage = {
        (a, d): (u, s, e)
        for a, d, u, s, e in UsageDaily.objects.filter(source="mixpanel").values_list(
            "account_id", "date", "active_users", "sessions", "events"
        )
    }
    adoption = {
        (a, key): (f, last, total)
        for a, key, f, last, total in FeatureAdoption.objects.values_list(
            "account_id", "feature__key", "first_used_on", "last_used_on", "events_total"
        )
    }
    return usage, adoption


@pytest.mark.date_sensitive
def test_events_roll_into_daily_usage_and_adoption_exactly_once(sandbox):
    accounts = seed_accounts(ACCOUNTS)
    groups = {demo_company(n).mixpanel_group_id: a.pk for n, a in accounts.items()}
    conn = make_connection(sandbox, "mixpanel", history_days=10)
    last = clock.today() - timedelta(days=1)
    first = last - timedelta(days=9)
    events = _export(sandbox, first, last)
    usage, adoption, unmatched = _oracle(events, groups)
    assert sandbox.dataset.event_count(first, last) == len(events)

    run, _ = sync_run_execute(connection_id=conn.pk, trigger="cli")

    assert run.status == "succeeded", run.error_message
    assert _stored() == (usage, adoption)
    assert (run.fetched, run.created, run.updated) == (len(events), len(usage), 0)
    assert run.unmatched == unmatched > 0
    strangers = {"acct-00011", "acct-00012"} | {
        f"acct-x{j:04d}" for j in sandbox.dataset.orphan_numbers
    }
    assert {s["id"] for s in run.unmatched_samples} == {f"group:{g}" for g in strangers}
    conn.refresh_from_db()
    assert conn.cursors == {"events": {"last_day": last.isoformat()}}
    # Every stored day keeps the model's rule: at least one session per active user.
    assert all(s >= u for u, s, _ in usage.values())

    # The next run re-exports the last day for late events: nothing changes.
    again, _ = sync_run_execute(connection_id=conn.pk, trigger="cli")
    last_day_events = sandbox.dataset.event_count(last, last)
    assert (again.fetched, again.created, again.updated) == (last_day_events, 0, 0)
    # A full resync re-reads every day and still counts each event once.
    full, _ = sync_run_execute(connection_id=conn.pk, trigger="cli", full_resync=True)
    assert (full.status, full.fetched, full.created, full.updated) == (
        "succeeded", len(events), 0, 0,
    )  # fmt: skip
    assert _stored() == (usage, adoption)
    assert FeatureUsageDay.objects.filter(connection=conn).count() == len(
        {(a, f, d) for (a, f), days in _days_by_feature(events, groups).items() for d in days}
    )


def _days_by_feature(events, groups):
    days = defaultdict(set)
    for e in events:
        p = e["properties"]
        if e["event"] == "Feature Used" and p["account_id"] in groups:
            days[(groups[p["account_id"]], p["feature"])].add(
                datetime.fromtimestamp(p["time"], UTC).date()
            )
    return days


@pytest.mark.date_sensitive
def test_a_changed_export_window_moves_totals_by_the_difference(sandbox):
    """A re-export of the last complete day (always inside the late-data window) replaces
    what the earlier export of that day contributed: a feature's total moves by the
    difference, and a feature the day no longer has loses its whole contribution."""
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "mixpanel", history_days=10)
    sync_run_execute(connection_id=conn.pk, trigger="cli")
    last = clock.now().date() - timedelta(days=1)  # the sync's last complete UTC day
    totals = {
        (a, f): t
        for a, f, t in FeatureAdoption.objects.values_list(
            "account_id", "feature_id", "events_total"
        )
    }
    # Ten accounts with about a dozen events a day each: that day has feature events.
    used = FeatureUsageDay.objects.filter(connection=conn, date=last).order_by("-events").first()
    assert used is not None
    key = (used.account_id, used.feature_id)
    # Pretend the earlier export of that day had 5 more events of a feature used that day...
    FeatureUsageDay.objects.filter(pk=used.pk).update(events=used.events + 5)
    FeatureAdoption.objects.filter(account_id=used.account_id, feature_id=used.feature_id).update(
        events_total=totals[key] + 5
    )
    # ...and 3 events of a feature the re-export will not have at all that day.
    unused = (
        FeatureAdoption.objects.filter(account_id=used.account_id)
        .exclude(feature_id__in=FeatureUsageDay.objects.filter(
            connection=conn, date=last, account_id=used.account_id
        ).values("feature_id"))
        .first()
    )  # fmt: skip
    assert unused is not None
    FeatureUsageDay.objects.create(
        connection=conn, date=last, account_id=used.account_id, feature_id=unused.feature_id,
        events=3,
    )  # fmt: skip
    FeatureAdoption.objects.filter(pk=unused.pk).update(events_total=unused.events_total + 3)

    run, _ = sync_run_execute(connection_id=conn.pk, trigger="cli")  # re-exports that day

    assert run.status == "succeeded"
    assert FeatureAdoption.objects.get(pk=unused.pk).events_total == unused.events_total
    assert (
        FeatureAdoption.objects.get(
            account_id=used.account_id, feature_id=used.feature_id
        ).events_total
        == totals[key]
    )
    assert FeatureUsageDay.objects.get(pk=used.pk).events == used.events
    assert not FeatureUsageDay.objects.filter(
        connection=conn, date=last, account_id=used.account_id, feature_id=unused.feature_id
    ).exists()


@pytest.mark.date_sensitive
def test_events_without_account_property_match_by_email_domain(sandbox):
    """A customer that does not send a group property still gets usage through the
    e-mail domain of its users' distinct_id."""
    seed_accounts([2, 3], external_ids=False)
    conn = make_connection(sandbox, "mixpanel", history_days=3, account_property="no_such_prop")

    run, _ = sync_run_execute(connection_id=conn.pk, trigger="cli")

    assert run.status == "succeeded"
    last = clock.today() - timedelta(days=1)
    events = _export(sandbox, last - timedelta(days=2), last)
    ours = {demo_company(2).domain, demo_company(3).domain}
    expected = sum(1 for e in events if e["properties"]["distinct_id"].split("@")[1] in ours)
    assert sum(UsageDaily.objects.values_list("events", flat=True)) == expected > 0
    assert run.unmatched == len(events) - expected
