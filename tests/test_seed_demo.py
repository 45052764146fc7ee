"""`seed_demo`: deterministic, correlated, consistent demo data loaded in bulk."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum

from audit.models import AuditEvent
from cs_platform.core.models import Role
from customers.demo_identity import demo_company, demo_contact_email
from customers.models import (
    Account,
    Contact,
    Contract,
    MilestoneStatus,
    OnboardingPlan,
    PlanStatus,
    Renewal,
)
from health.models import FeatureAdoption, SurveyResponse, UsageDaily
from health.scoring.backtest import auc
from integrations.models import SupportTicket
from portfolio.seed import Archetype, archetype_of, seed_content_hash
from portfolio.seed.tables import seeded_models
from portfolio.seed.voice_text import CSAT_COMMENTS, NPS_COMMENTS, csat_band, nps_band

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
USES_POSTGRESQL = connection.vendor == "postgresql"
SEED = 7
N = 40


def seed_demo(accounts: int = N, seed: int = SEED, *, today: date = TODAY, reset: bool = True):
    args = [f"--accounts={accounts}", f"--seed={seed}", f"--today={today.isoformat()}"]
    call_command("seed_demo", *args, *(["--reset"] if reset else []), verbosity=0)


@pytest.fixture
def seeded():
    seed_demo()
    return {n: archetype_of(SEED, n) for n in range(1, N + 1)}


def numbers_of(seeded, *kinds) -> list[int]:
    return [n for n, k in seeded.items() if k in kinds]


def active_users(account_id: int, first: date, last: date) -> int:
    rows = UsageDaily.objects.filter(account_id=account_id, date__gte=first, date__lte=last)
    return rows.aggregate(total=Sum("active_users"))["total"] or 0


def test_same_seed_and_today_give_identical_data_and_another_seed_does_not():
    seed_demo()
    first = seed_content_hash()
    seed_demo()
    assert seed_content_hash() == first
    assert Account.objects.count() == N

    UsageDaily.objects.filter(pk=1).update(minutes=F("minutes") + 1)
    assert seed_content_hash() != first  # the hash reads row content, not just counts

    seed_demo(seed=SEED + 1)
    assert seed_content_hash() != first
    seed_demo(today=TODAY + timedelta(days=1))
    assert seed_content_hash() != first


def test_reset_is_required_when_demo_data_exists_and_refusal_changes_nothing(seeded):
    before = seed_content_hash()
    with pytest.raises(CommandError, match="--reset"):
        seed_demo(accounts=5, seed=99, reset=False)
    assert Account.objects.count() == N
    assert seed_content_hash() == before


@pytest.mark.date_sensitive
def test_if_empty_leaves_existing_data_alone(seeded, capsys):
    before = seed_content_hash()
    call_command("seed_demo", "--accounts=5", "--seed=99", "--if-empty")
    assert "already present" in capsys.readouterr().out
    assert seed_content_hash() == before


@pytest.mark.parametrize(
    ("args", "field"),
    [(["--accounts=0"], "accounts"), (["--accounts=200001"], "accounts"), (["--seed=-1"], "seed")],
)
def test_bad_options_are_refused_and_change_nothing(seeded, args, field):
    before = seed_content_hash()
    with pytest.raises(CommandError, match=f"^{field}: "):
        call_command("seed_demo", *args, "--reset", "--today=2025-06-30", verbosity=0)
    with pytest.raises(CommandError, match="--today must be a date"):
        call_command("seed_demo", "--today=30/06/2025", "--reset", verbosity=0)
    assert seed_content_hash() == before


def test_ids_restart_and_sequences_move_past_them(seeded):
    assert list(Account.objects.order_by("pk").values_list("pk", flat=True)) == list(
        range(1, N + 1)
    )
    extra = Account.objects.create(name="Created after the seed")
    assert extra.pk == N + 1
    contact = Contact.objects.create(account=extra, email="x@after.test")
    assert contact.pk == Contact.objects.exclude(pk=contact.pk).aggregate(m=Max("pk"))["m"] + 1


def test_identities_match_the_shared_demo_identity_functions(seeded):
    for account in Account.objects.all():
        company = demo_company(account.pk)
        assert (account.name, account.domain) == (company.name, company.domain)
        assert account.zendesk_org_id == company.zendesk_org_id
        assert account.intercom_company_id == company.intercom_company_id
        assert account.mixpanel_group_id == company.mixpanel_group_id
        emails = list(
            Contact.objects.filter(account=account).order_by("pk").values_list("email", flat=True)
        )
        assert emails == [demo_contact_email(account.pk, i) for i in range(len(emails))]
        assert len(emails) >= 2


def test_staff_users_with_roles_own_the_accounts(seeded):
    users = get_user_model().objects.select_related("staff_profile")
    roles = {u.username: u.staff_profile.role for u in users}
    assert roles == {
        "manager": Role.MANAGER,
        "viewer": Role.VIEWER,
        "csm1": Role.CSM,
        "csm2": Role.CSM,
    }
    assert not any(u.has_usable_password() for u in users)
    owners = Counter(Account.objects.values_list("owner__username", flat=True))
    assert set(owners) == {"csm1", "csm2"} and min(owners.values()) >= 5


def test_every_archetype_is_present_and_shows_its_signature(seeded):
    assert set(seeded.values()) == set(Archetype)
    last = (TODAY - timedelta(days=30), TODAY - timedelta(days=1))
    prev = (TODAY - timedelta(days=60), TODAY - timedelta(days=31))
    by_kind = defaultdict(list)
    for number, kind in seeded.items():
        by_kind[kind].append(number)

    for n in by_kind[Archetype.DECLINING]:
        assert active_users(n, *last) < active_users(n, *prev), n
    growing = by_kind[Archetype.GROWING]
    assert sum(active_users(n, *last) for n in growing) > 1.1 * sum(
        active_users(n, *prev) for n in growing
    )
    for n in by_kind[Archetype.GONE_QUIET]:
        assert active_users(n, TODAY - timedelta(days=14), TODAY) <= 6, n
        assert active_users(n, *prev) >= 15, n
    for n in by_kind[Archetype.ONBOARDING]:
        account = Account.objects.get(pk=n)
        assert (TODAY - account.customer_since).days <= 120
        assert OnboardingPlan.objects.filter(account=account).exists()
        first_usage = UsageDaily.objects.filter(account=account).aggregate(d=Min("date"))["d"]
        assert first_usage is None or first_usage > account.customer_since
    for n in by_kind[Archetype.CHURNED]:
        account = Account.objects.get(pk=n)
        assert account.status == "churned" and account.lifecycle_stage == "churned"
        assert account.churned_on is not None and account.arr == 0
        last_renewal = Renewal.objects.filter(account=account).latest("renewal_date")
        assert last_renewal.outcome == "churned" and last_renewal.renewal_date == account.churned_on
    active = Account.objects.exclude(pk__in=by_kind[Archetype.CHURNED])
    assert not active.filter(Q(status="churned") | Q(churned_on__isnull=False)).exists()


def test_churned_accounts_have_usage_only_before_churn(seeded):
    churned = Account.objects.filter(status="churned")
    assert churned.exists()
    usage = UsageDaily.objects.filter(account__in=churned)
    assert usage.exists()
    assert not usage.filter(date__gte=F("account__churned_on")).exists()
    assert not SupportTicket.objects.filter(
        account__in=churned, opened_at__date__gte=F("account__churned_on")
    ).exists()


def test_usage_rows_respect_seats_and_cover_the_window(seeded):
    assert not UsageDaily.objects.filter(active_users__gt=F("account__seats_licensed")).exists()
    assert not UsageDaily.objects.filter(sessions__lt=F("active_users")).exists()
    assert not UsageDaily.objects.filter(active_users=0, events__gt=0).exists()
    established = [
        n for n, k in seeded.items() if k not in (Archetype.CHURNED, Archetype.ONBOARDING)
    ]
    spans = (
        UsageDaily.objects.filter(account_id__in=established)
        .values("account_id")
        .annotate(days=Count("id"), first=Min("date"), last=Max("date"))
    )
    assert len(spans) == len(established)
    for span in spans:
        assert span["days"] == 180
        assert (span["first"], span["last"]) == (TODAY - timedelta(days=180), TODAY - timedelta(1))
    weekday = UsageDaily.objects.filter(date__week_day__in=[2, 3, 4, 5, 6])
    weekend = UsageDaily.objects.filter(date__week_day__in=[1, 7])
    weekday_mean = weekday.aggregate(s=Sum("active_users"))["s"] / weekday.count()
    weekend_mean = weekend.aggregate(s=Sum("active_users"))["s"] / weekend.count()
    assert weekday_mean > 2 * weekend_mean


def test_survey_answers_stay_in_scale_and_comments_match_their_tone(seeded):
    nps = SurveyResponse.objects.filter(kind="nps")
    csat = SurveyResponse.objects.filter(kind="csat")
    assert nps.count() > 20 and csat.count() > 20
    assert nps.aggregate(lo=Min("score"), hi=Max("score"))["lo"] >= 0
    assert nps.aggregate(hi=Max("score"))["hi"] <= 10
    assert set(csat.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}

    def pattern(template: str) -> re.Pattern[str]:
        return re.compile(re.escape(template).replace(re.escape("{area}"), ".+") + "$")

    commented = 0
    for kind, pools, band in (("nps", NPS_COMMENTS, nps_band), ("csat", CSAT_COMMENTS, csat_band)):
        for score, comment in (
            SurveyResponse.objects.filter(kind=kind)
            .exclude(comment="")
            .values_list("score", "comment")
        ):
            assert any(pattern(t).match(comment) for t in pools[band(score)]), (score, comment)
            commented += 1
    assert commented > 20

    def nps_mean(kind):
        answers = nps.filter(account_id__in=numbers_of(seeded, kind))
        return answers.aggregate(m=Sum("score") * 1.0 / Count("id"))["m"]

    assert nps_mean(Archetype.GROWING) > nps_mean(Archetype.DECLINING) + 1.5


def test_renewals_past_are_closed_with_outcomes_and_upcoming_are_open(seeded):
    past = Renewal.objects.filter(renewal_date__lt=TODAY)
    upcoming = Renewal.objects.filter(renewal_date__gte=TODAY)
    assert past.exists() and upcoming.exists()
    for renewal in past:
        assert renewal.stage == "closed" and renewal.outcome is not None
        assert renewal.outcome_arr is not None and renewal.closed_on <= renewal.renewal_date
        assert TODAY - timedelta(days=90) <= renewal.renewal_date <= TODAY - timedelta(days=1)
        if renewal.outcome == "expanded":
            assert renewal.outcome_arr > renewal.current_arr
        if renewal.outcome == "downgraded":
            assert renewal.outcome_arr < renewal.current_arr
    for renewal in upcoming:
        assert renewal.stage != "closed" and renewal.outcome is None
        assert renewal.renewal_date <= TODAY + timedelta(days=365)
        assert 0 <= renewal.probability <= 1
        assert (
            renewal.contract.status == "active"
            and renewal.contract.end_date == renewal.renewal_date
        )
    assert not Contract.objects.filter(arr__lt=0).exists()
    enterprise = Account.objects.filter(tier="enterprise", status="active")
    small = Account.objects.filter(tier__in=["smb", "startup"], status="active")
    if enterprise.exists():
        assert min(a.arr for a in enterprise) > max(a.arr for a in small)


def test_tickets_carry_sla_targets_and_breaches_computed_from_timestamps(seeded):
    tickets = list(SupportTicket.objects.all())
    assert len(tickets) > 50
    now = datetime.combine(TODAY, time(0), tzinfo=UTC)  # the seed's "now"
    for t in tickets:
        assert t.sla_first_response_minutes and t.sla_resolution_minutes
        assert t.opened_at < now and t.created_at == t.opened_at
        responded = (t.first_response_at or now) - t.opened_at
        resolved = (t.resolved_at or now) - t.opened_at
        expected = responded > timedelta(
            minutes=t.sla_first_response_minutes
        ) or resolved > timedelta(minutes=t.sla_resolution_minutes)
        assert t.sla_breached == expected, t.pk
        assert (t.resolved_at is None) == (t.status in ("new", "open", "pending", "hold"))

    def ticket_profile(*kinds):
        return SupportTicket.objects.filter(account_id__in=numbers_of(seeded, *kinds)).aggregate(
            share=Count("id", filter=Q(priority__in=["high", "urgent"])) * 1.0 / Count("id"),
            per_account=Count("id") * 1.0 / Count("account_id", distinct=True),
        )

    troubled = ticket_profile(Archetype.DECLINING)
    healthy = ticket_profile(Archetype.GROWING, Archetype.FLAT)
    assert troubled["share"] > healthy["share"] and troubled["per_account"] > healthy["per_account"]


def test_onboarding_plans_at_every_status_with_consistent_milestones(seeded):
    plans = OnboardingPlan.objects.prefetch_related("milestones")
    assert {p.status for p in plans} == set(PlanStatus.values)
    for plan in plans:
        states = [m.status for m in plan.milestones.all()]
        done = states.count(MilestoneStatus.DONE)
        if plan.status == PlanStatus.COMPLETED:
            assert done == len(states) and plan.completed_on is not None
        elif plan.status == PlanStatus.NOT_STARTED:
            assert set(states) == {MilestoneStatus.PENDING} and plan.started_on is None
        elif plan.status == PlanStatus.STALLED:
            assert MilestoneStatus.BLOCKED in states and done < len(states)
        else:
            assert states.count(MilestoneStatus.IN_PROGRESS) == 1 and plan.completed_on is None
        assert states[:done] == [MilestoneStatus.DONE] * done  # completed in order
        for m in plan.milestones.all():
            assert (m.completed_at is not None) == (m.status == MilestoneStatus.DONE)
            deps = list(m.depends_on.values_list("position", flat=True))
            assert deps == ([m.position - 1] if m.position else [])


def test_feature_breadth_follows_the_archetype(seeded):
    recent = TODAY - timedelta(days=30)
    breadth = dict(
        FeatureAdoption.objects.filter(last_used_on__gte=recent)
        .values_list("account_id")
        .annotate(n=Count("id"))
    )

    def mean_breadth(kind):
        numbers = numbers_of(seeded, kind)
        return sum(breadth.get(n, 0) for n in numbers) / len(numbers)

    assert mean_breadth(Archetype.GROWING) > mean_breadth(Archetype.DECLINING)
    assert mean_breadth(Archetype.GROWING) > mean_breadth(Archetype.CHURNED)
    assert not FeatureAdoption.objects.filter(
        account__status="churned", last_used_on__gte=F("account__churned_on")
    ).exists()


def test_summary_is_printed_and_the_run_is_audited(capsys):
    call_command("seed_demo", "--accounts=20", "--seed=3", "--today=2025-06-30")
    out = capsys.readouterr().out
    assert "Seeded 20 accounts (seed 3, today 2025-06-30)" in out
    assert re.search(r"customers\.Account\s+20 rows", out)
    assert re.search(r"health\.UsageDaily\s+[\d,]+ rows", out) and " rows/s)" in out
    event = AuditEvent.objects.get(action="demo.seeded")
    assert event.changes["accounts"] == 20 and event.changes["rows"]["customers.Account"] == 20


def test_past_outcomes_predict_from_signals_90_days_before_but_not_perfectly():
    seed_demo(accounts=200, seed=11)
    scores, lost = [], []
    for r in Renewal.objects.filter(stage="closed").select_related("account"):
        as_of = r.renewal_date - timedelta(days=90)
        window = UsageDaily.objects.filter(
            account=r.account, date__gt=as_of - timedelta(days=30), date__lte=as_of
        ).aggregate(users=Sum("active_users"), days=Count("id"))
        if not window["days"]:
            continue
        scores.append(window["users"] / window["days"] / r.account.seats_licensed)
        lost.append(r.outcome in ("churned", "downgraded"))
    assert len(scores) > 30 and 0 < sum(lost) < len(lost)
    # Low usage share before a renewal goes with losing it: AUC of "risk = -share".
    value = auc([-s for s in scores], lost)
    assert 0.6 < value < 0.97, value


def _foreign_keys_and_triggers() -> tuple[set, set, set]:
    tables = [m._meta.db_table for m in seeded_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), k.convalidated"
            " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " WHERE k.contype = 'f' AND c.relname = ANY(%s)",
            [tables],
        )
        keys = set(cursor.fetchall())
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
            [tables],
        )
        triggers = set(cursor.fetchall())
        cursor.execute(
            # A partial index's predicate reads back with extra casts once re-created from
            # its own definition: compared by name, columns, uniqueness and partialness.
            "SELECT c.relname, x.relname, i.indkey::text, i.indnkeyatts, i.indisunique,"
            " i.indpred IS NOT NULL, i.indisvalid, i.indisready FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid"
            " WHERE c.relname = ANY(%s)",
            [tables],
        )
        indexes = set(cursor.fetchall())
    return keys, triggers, indexes


@pytest.mark.skipif(not USES_POSTGRESQL, reason="the bulk-load path of PostgreSQL")
def test_bulk_load_restores_keys_and_triggers_and_rebuilds_what_the_triggers_keep():
    """The load drops the foreign keys and the indexes that back no constraint and switches
    off the triggers whose data it rebuilds afterwards; the result must be what the
    triggers, keys and indexes would have left."""
    from customers.models import PortfolioRollup
    from customers.services.list_columns import REBUILD_ROLLUP_SQL
    from portfolio.models import AccountDataVersion, DashboardWritePending

    keys, triggers, indexes = _foreign_keys_and_triggers()
    assert keys and any(name.endswith("_version_insert") for _, name, _ in triggers)
    assert any(name == "usage_one_row_per_day" for _, name, *_ in indexes)
    seed_demo()
    seed_demo()  # over existing data (TRUNCATE first), the usual reseed
    # The same keys (validated), triggers (enabled) and indexes (valid, built).
    assert _foreign_keys_and_triggers() == (keys, triggers, indexes)
    assert all(validated for *_, validated in keys)
    for account in Account.objects.all():
        upcoming = (
            Renewal.objects.filter(account=account).exclude(stage="closed").order_by("renewal_date")
        ).first()
        assert account.next_open_renewal_date == (upcoming.renewal_date if upcoming else None)
    stored = set(
        PortfolioRollup.objects.filter(accounts__gt=0).values_list(
            "owner_key", "band", "tier", "lifecycle_stage", "status", "accounts", "arr_total"
        )
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(REBUILD_ROLLUP_SQL)
        recounted = set(
            PortfolioRollup.objects.filter(accounts__gt=0).values_list(
                "owner_key", "band", "tier", "lifecycle_stage", "status", "accounts", "arr_total"
            )
        )
        transaction.set_rollback(True)
    assert stored == recounted and sum(row[5] for row in stored) == N
    versions = AccountDataVersion.objects.filter(account_id__in=Account.objects.values("pk"))
    assert versions.count() == N
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        (txid,) = cursor.fetchone()
    assert DashboardWritePending.objects.filter(txid=txid).exists()  # moves at commit


def test_usage_binary_copy_is_the_row_tuples():
    """PostgreSQL loads usage as binary COPY rows, SQLite from the tuples: both come from
    one series and must hold the same rows, and fill the same stats."""
    import numpy as np

    from portfolio.seed.context import SeedContext
    from portfolio.seed.usage import BINARY_ROW, USAGE_COLUMNS, usage_copy_binary, usage_rows
    from portfolio.seed.users import demo_staff_ensure

    staff = demo_staff_ensure(csm_count=SeedContext.csm_count(N))
    ctx = SeedContext.build(seed=SEED, today=TODAY, accounts=N, staff=staff)
    tuple_stats, binary_stats = {}, {}
    expected = list(usage_rows(ctx, tuple_stats))
    blocks = list(usage_copy_binary(ctx, binary_stats))
    decoded = np.frombuffer(b"".join(data for _, data in blocks), dtype=BINARY_ROW)
    epoch = date(2000, 1, 1).toordinal()
    columns = ("id", "account", "date", "users", "sessions", "events", "minutes", "source")
    values = [decoded[name].tolist() for name in columns]
    values[2] = [date.fromordinal(day + epoch) for day in values[2]]
    values[7] = [source.decode() for source in values[7]]
    assert list(zip(*values, strict=True)) == expected
    assert set(decoded["fields"].tolist()) == {len(USAGE_COLUMNS)}
    assert sum(n for n, _ in blocks) == len(expected) > N * 30
    assert binary_stats == tuple_stats


def _features_from(rows_made_by):
    def rows():
        for i in range(1, 4):
            yield {"id": i, "key": f"k{i}", "name": rows_made_by(i), "category": "c"}

    return rows()


@pytest.mark.skipif(not USES_POSTGRESQL, reason="the prefetching child is PostgreSQL's path")
def test_prefetched_rows_are_made_by_a_child_process_and_loaded_from_its_output():
    import os

    from health.models import Feature
    from portfolio.seed.loader import TableLoader

    loader = TableLoader()
    loader.prefetch({Feature: _features_from(lambda i: f"made by {os.getpid()}")})
    try:
        assert loader.load(Feature, rows=[]) == 3  # the rows given here are not read
    finally:
        loader.close()
    makers = set(Feature.objects.values_list("name", flat=True))
    assert len(makers) == 1 and makers != {f"made by {os.getpid()}"}
    assert loader.children == [] and loader.counts == {"health.Feature": 3}


@pytest.mark.skipif(not USES_POSTGRESQL, reason="the prefetching child is PostgreSQL's path")
def test_a_failure_in_the_prefetching_child_fails_the_load():
    from health.models import Feature
    from portfolio.seed.loader import TableLoader

    def broken(i):
        raise ValueError(f"generator broke at row {i}")

    loader = TableLoader()
    loader.prefetch({Feature: _features_from(broken)})
    try:
        with pytest.raises(RuntimeError, match="generator broke at row 1"):
            loader.load(Feature, rows=[])
    finally:
        loader.close()
    assert not Feature.objects.exists()
