"""Recompute on PostgreSQL: snapshots, latest pointers, idempotency, overrides, query counts."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from customers.models import Account, Contract
from health.models import ChurnPrediction, HealthScore, LatestHealthScore, UsageDaily
from health.scoring import MODEL_VERSION
from health.selectors.health_inputs import health_inputs_for_accounts
from health.selectors.snapshots import snapshot_result
from health.services.overrides import health_override_create, health_override_revoke
from health.services.scoring import health_recompute_accounts
from health.services.scoring.writes import latest_pointers_move
from health.tasks import recompute_portfolio
from tests.builders import build_account

pytestmark = pytest.mark.django_db


def usage_account(owner, name, users_for_day_back, *, days=120, seats=100):
    """An account whose only data are a contract (seats) and a usage series."""
    today = clock.today()
    account = Account.objects.create(name=name, owner=owner, seats_licensed=seats)
    Contract.objects.create(
        account=account,
        name="Subscription",
        start_date=today - timedelta(days=400),
        end_date=today + timedelta(days=300),
        arr=Decimal("10000"),
        seats=seats,
    )
    UsageDaily.objects.bulk_create(
        UsageDaily(
            account=account,
            date=today - timedelta(days=back),
            active_users=users_for_day_back(back),
            sessions=users_for_day_back(back) * 2,
        )
        for back in range(days)
    )
    return account


def snapshot(account, as_of=None):
    qs = HealthScore.objects.filter(account=account)
    return qs.get(as_of=as_of) if as_of else qs.get(latest_of__isnull=False)


def measure(snap, key):
    return next(m for m in snapshot_result(snap)["measures"] if m["key"] == key)


@pytest.mark.date_sensitive
def test_declining_usage_lowers_score_versus_growing(staff):
    now = clock.now()
    growing = usage_account(staff["csm1"], "Growing", lambda back: 40 + (120 - back) // 4)
    declining = usage_account(
        staff["csm1"], "Declining", lambda back: 80 if back >= 30 else 30 + back
    )
    health_recompute_accounts(account_ids=[growing.pk, declining.pk], as_of=now)
    g, d = snapshot(growing), snapshot(declining)
    assert measure(g, "usage_trend")["raw_input"] > 0
    assert measure(d, "usage_trend")["raw_input"] < -25
    assert d.score < g.score
    assert measure(d, "usage_trend")["contribution"] < measure(g, "usage_trend")["contribution"]


@pytest.mark.date_sensitive
def test_two_accounts_with_different_inputs_get_different_scores(portfolio):
    healthy, declining = portfolio["healthy"], portfolio["declining"]
    health_recompute_accounts(account_ids=[healthy.pk, declining.pk], as_of=clock.now())
    h, d = snapshot(healthy), snapshot(declining)
    assert h.score != d.score and h.band == "green" and d.score < h.score
    assert d.inputs["usage_trend_pct"]["value"] == -50.0
    assert h.inputs["payment_status"]["value"] == "current"
    assert d.inputs["payment_status"]["value"] == "late"
    assert d.inputs["nps_answer_avg_180d"]["value"] == 5.0  # (2 + 4 + 9) / 3
    assert h.inputs["nps_answer_avg_180d"]["value"] == 9.0
    assert d.inputs["sla_breaches_90d"]["value"] == 1
    # The fixture's only ticket for the healthy account carries no SLA data: not a zero.
    assert h.inputs["sla_breaches_90d"] == {
        "value": None, "as_of": None, "missing": "sla_not_tracked"
    }  # fmt: skip
    assert measure(h, "sla_breaches")["status"] == "missing_dropped"


@pytest.mark.date_sensitive
def test_account_without_data_is_unknown_not_fifty(staff):
    empty = Account.objects.create(name="Nothing yet", owner=staff["csm1"])
    summary = health_recompute_accounts(account_ids=[empty.pk], as_of=clock.now())
    snap = snapshot(empty)
    assert (summary.unknown, snap.score, snap.computed_score) == (1, None, None)
    assert snap.band == "unknown" and snap.coverage == 0 and snap.confidence == "low"
    assert {m["status"] for m in snapshot_result(snap)["measures"]} == {"missing_dropped"}
    assert snap.inputs["usage_trend_pct"]["missing"] == "no_usage_baseline"
    assert snap.inputs["payment_status"]["missing"] == "payment_status_unknown"
    # No feature at all: no churn prediction either (a bare baseline is not one).
    assert not ChurnPrediction.objects.filter(account=empty).exists()


@pytest.mark.date_sensitive
def test_past_as_of_reports_stateful_inputs_missing(portfolio):
    account = portfolio["healthy"]
    past = clock.now() - timedelta(days=20)
    inputs = health_inputs_for_accounts([account.pk], as_of=past)[account.pk]
    assert inputs.records["payment_status"]["missing"] == "no_history_for_past_as_of"
    assert inputs.records["feature_breadth"]["missing"] == "no_history_for_past_as_of"
    # Answers given 10–12 days ago did not exist 20 days ago.
    assert inputs.values["nps_answer_avg_180d"] is None


@pytest.mark.date_sensitive
def test_recompute_same_as_of_twice_replaces_instead_of_duplicating(portfolio):
    ids = [a.pk for a in portfolio.values()]
    as_of = clock.now()
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    first = dict(HealthScore.objects.values_list("account_id", "pk"))
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    assert dict(HealthScore.objects.values_list("account_id", "pk")) == first
    assert HealthScore.objects.count() == 3
    assert ChurnPrediction.objects.filter(as_of=as_of).count() == 3


@pytest.mark.date_sensitive
def test_an_insufficient_data_score_recomputed_at_the_same_as_of_is_replaced(staff):
    """The second write at one as_of goes through the staging table, whose band column
    must hold the longest band name."""
    thin = Account.objects.create(name="Thin data", owner=staff["csm1"], payment_status="current")
    as_of = clock.now()
    for _ in range(2):
        health_recompute_accounts(account_ids=[thin.pk], as_of=as_of)
    assert list(HealthScore.objects.filter(account=thin).values_list("band", flat=True)) == [
        "insufficient_data"
    ]


@pytest.mark.date_sensitive
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scorings_of_one_account_both_succeed(staff):
    """The second scoring waits for the first and then points the account's latest at
    the newest snapshot."""
    account = Account.objects.create(name="Raced", owner=staff["csm1"], payment_status="current")
    scored, release, errors = threading.Event(), threading.Event(), []

    def first_scoring() -> None:
        try:
            with transaction.atomic():
                health_recompute_accounts(account_ids=[account.pk], as_of=clock.now())
                scored.set()
                release.wait(5)
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first_scoring)
    thread.start()
    assert scored.wait(10)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    second_as_of = clock.now()
    health_recompute_accounts(account_ids=[account.pk], as_of=second_as_of)
    thread.join(10)
    timer.cancel()
    assert errors == []
    latest = HealthScore.objects.filter(latest_of__account=account)
    assert [s.as_of for s in latest] == [second_as_of]
    assert HealthScore.objects.filter(account=account).count() == 2


@pytest.mark.date_sensitive
def test_exactly_one_latest_per_account_and_backfill_keeps_newest(portfolio):
    ids = [a.pk for a in portfolio.values()]
    now = clock.now()
    for days_back in (2, 1, 0):
        health_recompute_accounts(account_ids=ids, as_of=now - timedelta(days=days_back))
    health_recompute_accounts(account_ids=ids, as_of=now - timedelta(days=5))  # backfill
    for account_id in ids:
        latest = HealthScore.objects.filter(latest_of__account_id=account_id)
        assert latest.count() == 1
        assert latest.get().as_of == now == LatestHealthScore.objects.get(pk=account_id).as_of
    assert HealthScore.objects.count() == 12


@pytest.mark.date_sensitive
def test_query_count_does_not_grow_with_accounts(staff):
    accounts = [build_account(staff["csm1"], n, declining=n % 2 == 0, days=35) for n in range(50)]
    # The audit chain's lock is taken once per transaction (the test's): take it first.
    health_recompute_accounts(account_ids=[accounts[0].pk], as_of=clock.now() - timedelta(hours=1))
    counts = []
    for chunk in (accounts[:5], accounts[5:]):
        with CaptureQueriesContext(connection) as ctx:
            summary = health_recompute_accounts(
                account_ids=[a.pk for a in chunk], as_of=clock.now()
            )
        assert summary.accounts == len(chunk)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 16


@pytest.mark.date_sensitive
def test_override_applied_then_expired(portfolio, staff):
    account = portfolio["declining"]
    now = clock.now()
    health_recompute_accounts(account_ids=[account.pk], as_of=now - timedelta(minutes=1))
    computed = snapshot(account).computed_score
    override = health_override_create(
        account=account, score=90, reason="Renewal verbally committed by the CFO",
        author=actor_for_user(staff["csm1"], channel="command"),
        expires_at=now + timedelta(days=1),
    )  # fmt: skip
    latest = snapshot(account)
    assert latest.score == Decimal("90.0") and latest.band == "green"
    assert latest.computed_score == computed and latest.override_id == override.pk
    assert latest.result["override"]["applied"] is True
    assert AuditEvent.objects.filter(action="health.override_create", object_id=override.pk)
    later = now + timedelta(days=2)
    health_recompute_accounts(account_ids=[account.pk], as_of=later, now=later)
    expired = snapshot(account)
    assert expired.as_of == later and expired.override_id is None
    assert expired.score == expired.computed_score
    assert expired.result["override"]["status"] == "expired"


@pytest.mark.date_sensitive
def test_override_revoked_and_bad_input_rejected(portfolio, staff):
    from cs_platform.core.errors import InvalidInput

    account = portfolio["healthy"]
    csm = actor_for_user(staff["csm1"], channel="command")
    with pytest.raises(InvalidInput):
        health_override_create(account=account, score=50, reason="  ", author=csm)
    with pytest.raises(InvalidInput):
        health_override_create(account=account, score=120, reason="x", author=csm)
    assert not HealthScore.objects.filter(account=account).exists()
    override = health_override_create(account=account, score=20, reason="Champion left", author=csm)
    assert snapshot(account).score == Decimal("20.0")
    health_override_revoke(
        override=override, actor=actor_for_user(staff["manager"], channel="command")
    )
    latest = snapshot(account)
    assert latest.override_id is None and latest.score == latest.computed_score
    assert latest.result["override"]["status"] == "revoked"


@pytest.mark.date_sensitive
def test_portable_path_matches_postgresql_path(portfolio, monkeypatch):
    """The embedded (SQLite) path — IN lists and ORM writes — run here against PostgreSQL."""
    ids = [a.pk for a in portfolio.values()]
    as_of = clock.now()
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    fast = {h.account_id: (h.score, h.result) for h in HealthScore.objects.all()}
    monkeypatch.setattr(connection, "vendor", "sqlite")
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    monkeypatch.undo()
    assert {h.account_id: (h.score, h.result) for h in HealthScore.objects.all()} == fast
    assert LatestHealthScore.objects.count() == 3
    assert {p.snapshot.as_of for p in LatestHealthScore.objects.select_related("snapshot")} == {
        as_of
    }


def test_celery_fan_out_recomputes_every_account(portfolio, monkeypatch):
    from cs_platform.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    extra = Account.objects.create(name="No data")
    as_of = clock.now().replace(microsecond=0)
    result = recompute_portfolio.delay(as_of=as_of.isoformat(), chunk_size=2).get()
    assert result == {"as_of": as_of.isoformat(), "chunks": 2, "accounts": 4}
    assert set(HealthScore.objects.filter(as_of=as_of).values_list("account_id", flat=True)) == {
        *(a.pk for a in portfolio.values()),
        extra.pk,
    }


@pytest.mark.date_sensitive
def test_recompute_health_command(portfolio):
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    # An explicit moment inside the fixture's history (which ends today, whatever today is).
    as_of = (clock.start_of_day(clock.today() - timedelta(days=5)) + timedelta(hours=6)).isoformat()
    out = StringIO()
    call_command("recompute_health", "--all", "--as-of", as_of, stdout=out)
    report = json.loads(out.getvalue())
    assert (report["accounts"], report["scored"], report["as_of"]) == (3, 3, as_of)
    assert HealthScore.objects.filter(as_of=as_of).count() == 3
    out = StringIO()
    call_command("recompute_health", "--account", str(portfolio["healthy"].pk), stdout=out)
    assert json.loads(out.getvalue())["accounts"] == 1
    with pytest.raises(CommandError):
        call_command("recompute_health", "--account", "999999")
    with pytest.raises(CommandError):
        call_command("recompute_health", "--all", "--as-of", "yesterday")


def test_recompute_health_history_weeks_backfills_weekly_snapshots(portfolio):
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    as_of = "2026-03-02T06:00:00+00:00"
    call_command("recompute_health", "--all", "--as-of", as_of, "--history-weeks", "3", stdout=out)
    assert json.loads(out.getvalue())["history_weeks"] == 3
    declining = portfolio["declining"].pk
    moments = list(
        HealthScore.objects.filter(account_id=declining).order_by("as_of")
        .values_list("as_of", "latest_of__account_id")
    )  # fmt: skip
    assert [m.isoformat() for m, _ in moments] == [
        "2026-02-09T06:00:00+00:00", "2026-02-16T06:00:00+00:00",
        "2026-02-23T06:00:00+00:00", as_of,
    ]  # fmt: skip
    assert [latest is not None for _, latest in moments] == [False, False, False, True]
    assert HealthScore.objects.count() == 4 * 3
    with pytest.raises(CommandError, match="history-weeks"):
        call_command("recompute_health", "--all", "--history-weeks", "-1")
    assert HealthScore.objects.count() == 4 * 3


def test_aggregation_provides_every_default_scorecard_input():
    from health.scoring import default_scorecard
    from health.selectors.health_inputs import PROVIDED_INPUT_KEYS, SCORECARD_INPUT_KEYS

    # days_to_renewal is still aggregated (urgency, operator scorecards that include
    # renewal proximity) but is no longer a default health measure (version 2).
    assert set(default_scorecard().input_keys()) == set(SCORECARD_INPUT_KEYS) - {"days_to_renewal"}
    assert set(SCORECARD_INPUT_KEYS) < set(PROVIDED_INPUT_KEYS)


@pytest.mark.date_sensitive
def test_new_scorecard_version_at_same_as_of_takes_over_latest(portfolio):
    from health.models import Scorecard
    from health.scoring import default_scorecard

    ids = [a.pk for a in portfolio.values()]
    as_of = clock.now()
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    definition = default_scorecard().to_dict() | {"version": 3}
    definition["groups"][0]["weight"] = 50
    Scorecard.objects.filter(key="default").update(is_active=False)
    v2 = Scorecard.objects.create(key="default", version=3, name="v3", definition=definition,
                                  is_active=True)  # fmt: skip
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    assert HealthScore.objects.filter(as_of=as_of).count() == 6
    latest = HealthScore.objects.filter(latest_of__isnull=False)
    assert set(latest.values_list("scorecard", flat=True)) == {v2.pk}


@pytest.mark.date_sensitive
def test_predictions_already_there_are_replaced_and_the_rest_copied(portfolio):
    """A prediction the churn tool wrote at this as_of sends the chunk's predictions
    through the staged upsert; with none there they are COPYed straight in. Both end with
    one prediction per account carrying the recompute's numbers."""
    ids = sorted(a.pk for a in portfolio.values())
    as_of = clock.now()
    ChurnPrediction.objects.create(
        account_id=ids[0], as_of=as_of, predicted_at=as_of, probability=Decimal("0.9999"),
        risk_level="critical", model_version=MODEL_VERSION, factors=[], coverage=Decimal("0"),
    )  # fmt: skip
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    rows = ChurnPrediction.objects.filter(as_of=as_of, model_version=MODEL_VERSION)
    assert sorted(rows.values_list("account_id", flat=True)) == ids
    replaced = rows.get(account_id=ids[0])
    assert replaced.probability != Decimal("0.9999") and replaced.factors != []
    staged = {p.account_id: p.factors for p in rows}
    # The same as_of with no prediction there: the direct COPY path. (Not a later as_of:
    # an hour on can be the next day, whose windows read other data.)
    ChurnPrediction.objects.filter(as_of=as_of).delete()
    health_recompute_accounts(account_ids=ids, as_of=as_of)
    fresh = ChurnPrediction.objects.filter(as_of=as_of)
    assert fresh.count() == 3
    assert {p.account_id: p.factors for p in fresh} == staged


@pytest.mark.date_sensitive
def test_snapshot_documents_are_json_not_jsonb_and_read_back_whole(portfolio):
    ids = [a.pk for a in portfolio.values()]
    health_recompute_accounts(account_ids=ids, as_of=clock.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE (table_name, column_name) IN (('health_healthscore', 'inputs'), "
            "('health_healthscore', 'result'), ('health_churnprediction', 'factors'))"
        )
        types = {(t, c): d for t, c, d in cursor.fetchall()}
    assert set(types.values()) == {"json"} and len(types) == 3
    snap = HealthScore.objects.select_related("scorecard").get(
        latest_of__account=portfolio["healthy"]
    )
    assert snap.result["schema"] == "health.snapshot_result/1"
    assert snap.inputs["usage_trend_pct"]["as_of"]
    full = snapshot_result(snap)
    assert full["schema"] == "health.score_result/1"
    assert {m["label"] for m in full["measures"]} >= {"Usage trend"}


def test_usage_index_covers_active_users_for_index_only_reads():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'usage_one_row_per_day'")
        (definition,) = cursor.fetchone()
    assert "(account_id, date) INCLUDE (active_users)" in definition


@pytest.mark.date_sensitive
def test_a_new_day_moves_the_pointer_and_leaves_older_snapshots_unwritten(portfolio):
    """The daily run writes the new snapshots and moves 40-byte pointers: yesterday's
    snapshot rows keep their physical version (no flag flipped on them), while the
    account's latest columns follow the new snapshot."""
    ids = sorted(a.pk for a in portfolio.values())
    day1 = clock.now() - timedelta(days=1)
    health_recompute_accounts(account_ids=ids, as_of=day1)

    def versions() -> dict[int, tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, ctid::text, xmin::text FROM health_healthscore WHERE as_of = %s",
                [day1],
            )
            return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}

    before = versions()
    assert len(before) == 3
    day2 = clock.now()
    health_recompute_accounts(account_ids=ids, as_of=day2)
    assert versions() == before
    for p in LatestHealthScore.objects.select_related("snapshot", "account"):
        assert p.as_of == p.snapshot.as_of == day2
        assert p.account.latest_health_band == p.snapshot.band
        assert p.account.latest_health_score == p.snapshot.score


@pytest.mark.date_sensitive
@pytest.mark.django_db(transaction=True)
def test_reading_inputs_leaves_the_connection_settings_as_they_were(staff):
    """jit is switched off for the inputs query only: in autocommit (a tool's read), a
    session-level SET would stay on the connection and follow it back into the pool."""
    account = build_account(staff["csm1"], 1, declining=False)
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        (before,) = cursor.fetchone()
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        inputs = health_inputs_for_accounts([account.pk], as_of=clock.now())
    assert list(inputs) == [account.pk]
    assert "SET LOCAL jit = off" in statements
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == (before,) == ("on",)


def test_without_the_default_scorecard_recompute_fails_clearly_and_writes_none(staff):
    """Reads do not write: the default scorecard comes from its data migration, and a
    database without it (a restore of business tables only) is told so."""
    from cs_platform.core.errors import NotFound
    from health.models import Scorecard

    account = build_account(staff["csm1"], 1, declining=False)
    Scorecard.objects.all().delete()
    with pytest.raises(NotFound, match="data migration health.0003_default_scorecard"):
        health_recompute_accounts(account_ids=[account.pk], as_of=clock.now())
    assert not Scorecard.objects.exists() and not HealthScore.objects.exists()


def _same_day_moments() -> tuple:
    """Two as_of one second apart on one calendar day (inputs are computed per day)."""
    second = clock.now().replace(microsecond=0)
    first = second - timedelta(seconds=1)
    if timezone.localtime(first).date() != timezone.localtime(second).date():
        first, second = second, second + timedelta(seconds=1)
    return first, second


@pytest.mark.date_sensitive
def test_a_recompute_that_moves_no_value_writes_no_account_row(portfolio):
    """The account's copies (latest score, churn probability) are written only when they
    change: a second run on unchanged inputs moves every pointer but leaves each account
    row's physical version as it was, and the churn copy is the prediction at the
    pointer's as_of."""
    ids = sorted(a.pk for a in portfolio.values())
    first, second = _same_day_moments()
    health_recompute_accounts(account_ids=ids, as_of=first)

    def versions() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, ctid::text || xmin::text FROM customers_account WHERE id = ANY(%s)",
                [ids],
            )
            return dict(cursor.fetchall())

    before = versions()
    health_recompute_accounts(account_ids=ids, as_of=second)
    assert versions() == before
    for pointer in LatestHealthScore.objects.select_related("account"):
        assert pointer.as_of == second
        prediction = ChurnPrediction.objects.get(
            account_id=pointer.account_id, as_of=second, model_version=MODEL_VERSION
        )
        assert pointer.account.churn_probability == prediction.probability


@pytest.mark.date_sensitive
def test_the_churn_copy_follows_the_pointer_whichever_is_written_first(portfolio):
    """A pointer moved to a snapshot with no prediction empties the account's churn copy
    (identify_churn_risk must not rank a stale probability); the prediction written
    afterwards at that as_of fills it again."""
    account = portfolio["declining"]
    first, second = _same_day_moments()
    health_recompute_accounts(account_ids=[account.pk], as_of=first)
    account.refresh_from_db()
    assert account.churn_probability is not None
    latest = HealthScore.objects.get(account=account, as_of=first)
    HealthScore.objects.create(
        account=account, scorecard=latest.scorecard, score=latest.score, band=latest.band,
        coverage=latest.coverage, confidence=latest.confidence, as_of=second,
        computed_at=second, inputs=latest.inputs, result=latest.result,
    )  # fmt: skip
    snapshot = HealthScore.objects.get(account=account, as_of=second)
    latest_pointers_move([(account.pk, snapshot.pk)], second)
    account.refresh_from_db()
    assert account.churn_probability is None
    old = ChurnPrediction.objects.get(account=account, as_of=first, model_version=MODEL_VERSION)
    ChurnPrediction.objects.create(
        account=account, as_of=second, predicted_at=second, probability=Decimal("0.4321"),
        risk_level=old.risk_level, model_version=MODEL_VERSION, factors=old.factors,
        coverage=old.coverage,
    )  # fmt: skip
    account.refresh_from_db()
    assert account.churn_probability == Decimal("0.4321")
