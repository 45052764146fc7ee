"""The ``seed_demo`` service: wipe the demo tables, generate the portfolio, bulk-load it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from audit.services import audit_event_record
from cs_platform.core.errors import Conflict, field_error
from customers.models import (
    CTA,
    Account,
    Activity,
    Contact,
    Contract,
    ExecutiveReview,
    LifecycleStageChange,
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingTemplate,
    OnboardingTemplateMilestone,
    Program,
    ProgramContribution,
    ProgramMember,
    Renewal,
    TrainingAttendance,
    TrainingCompletion,
    TrainingModule,
    TrainingSession,
)
from customers.services.list_columns import list_columns_resync
from gdpr.models import ConsentRecord, DataSubjectRequest
from health.models import (
    Feature,
    FeatureAdoption,
    Feedback,
    ProductInsight,
    Survey,
    SurveyResponse,
    UsageDaily,
)
from integrations.models import (
    CommunicationRule,
    CustomerPortalSettings,
    KnowledgeArticle,
    KnowledgeArticleVersion,
    KnowledgeArticleVote,
    NewsletterEdition,
    NewsletterSubscription,
    SlaPolicy,
    SupportTicket,
    TicketRoutingRule,
)
from portfolio.seed.accounts import (
    account_rows,
    catalogue_rows,
    contact_rows,
    next_open_renewals,
)
from portfolio.seed.adoption import adoption_rows
from portfolio.seed.commercial import commercial_rows
from portfolio.seed.communication import communication_rule_rows, program_rows, review_rows
from portfolio.seed.context import SeedContext
from portfolio.seed.expansion import addon_contract_rows
from portfolio.seed.insights import insight_rows
from portfolio.seed.loader import TableLoader, demo_tables_wipe
from portfolio.seed.money import demo_rates_ensure
from portfolio.seed.onboarding import onboarding_rows, training_completion_rows
from portfolio.seed.privacy import consent_rows, request_cta_rows, request_rows
from portfolio.seed.support import ticket_rows
from portfolio.seed.support_desk import portal_settings_rows, support_desk_rows
from portfolio.seed.tables import seeded_models, seeded_tables_with_rows
from portfolio.seed.timeline import activity_rows, cta_rows, stage_change_rows
from portfolio.seed.training import training_rows
from portfolio.seed.usage import USAGE_COLUMNS, UsageStats, usage_copy_binary, usage_rows
from portfolio.seed.users import demo_staff_ensure
from portfolio.seed.voice import feedback_rows, survey_response_rows
from portfolio.services.dashboard_cache import dashboard_version_touch
from portfolio.services.overview_cache import overview_versions_bump_all

MAX_ACCOUNTS = 200_000
# Triggers the seed switches off for its load because it rebuilds what they maintain once
# afterwards (_load_portfolio): the portfolio rollup and renewal column
# (customers.services.list_columns), the overview cache versions and the dashboard cache
# version (portfolio.services). Any other trigger stays on: correct, only slower.
_REBUILT_TRIGGERS = re.compile(
    r"account_rollup_|renewal_next_|.+_version_(insert|update|delete)$|.+_dashboard_touch$"
)

# Tables whose indexes are built after their COPY rather than maintained row by row
# during it: the biggest (over 300,000 rows at 100,000 accounts, usage 15.6 M).
_INDEXES_REBUILT = (
    UsageDaily,
    SupportTicket,
    Activity,
    Contact,
    TrainingCompletion,
    TrainingAttendance,
    FeatureAdoption,
    OnboardingMilestone,
    SurveyResponse,
    TrainingSession,
)


@dataclass
class SeedSummary:
    accounts: int
    seed: int
    today: date
    backend: str
    rows: dict[str, int] = field(default_factory=dict)
    table_seconds: dict[str, float] = field(default_factory=dict)
    # Wall seconds of the steps around the table loads: profiles, indexes and keys,
    # rebuilt trigger data, commit, ANALYZE.
    phase_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class _PhaseClock:
    """Wall seconds per named step, for the summary (and the seed benchmark)."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = round(self.into.get(name, 0.0) + now - self.last, 3)
        self.last = now


def _rows_of(make: Callable[[], Any], part: str | None = None) -> Iterator[dict]:
    """The rows of ``make()`` (or of its attribute ``part``), computed when first iterated:
    in a prefetching child on PostgreSQL, here elsewhere. ``make`` is memoised, so the
    tables of one generator share one call in whichever process iterates them."""
    made = make()
    yield from getattr(made, part) if part else made


def _profile_tables(ctx: SeedContext) -> dict[type[Model], Iterable[dict]]:
    """Tables whose rows depend on the profiles alone: tickets, activities, contacts,
    survey answers (~45 % of the seed's Python CPU at 100,000 accounts)."""
    return {
        SupportTicket: ticket_rows(ctx),
        Activity: activity_rows(ctx),
        Contact: contact_rows(ctx),
        SurveyResponse: survey_response_rows(ctx),
    }


def _journey_tables(ctx: SeedContext) -> dict[type[Model], Iterable[dict]]:
    """Feedback and insights, onboarding, training, stage changes and programs: they too
    depend on the profiles alone (and on each other), ~25 % of the Python CPU."""
    feedback = cache(lambda: list(feedback_rows(ctx)))
    insights = cache(lambda: insight_rows(ctx, feedback()))
    onboarding = cache(lambda: onboarding_rows(ctx))
    completions = cache(lambda: list(training_completion_rows(ctx)))
    training = cache(lambda: training_rows(ctx, completions()))
    programs = cache(lambda: program_rows(ctx))
    return {
        Feedback: _rows_of(feedback),
        ProductInsight: _rows_of(insights, "insights"),
        ProductInsight.feedback.through: _rows_of(insights, "links"),
        OnboardingPlan: _rows_of(onboarding, "plans"),
        OnboardingMilestone: _rows_of(onboarding, "milestones"),
        OnboardingMilestone.depends_on.through: _rows_of(onboarding, "dependencies"),
        TrainingCompletion: _rows_of(completions),
        OnboardingTemplate: _rows_of(training, "templates"),
        OnboardingTemplateMilestone: _rows_of(training, "template_milestones"),
        TrainingSession: _rows_of(training, "sessions"),
        TrainingAttendance: _rows_of(training, "attendance"),
        LifecycleStageChange: stage_change_rows(ctx),
        Program: _rows_of(programs, "programs"),
        ProgramMember: _rows_of(programs, "members"),
        ProgramContribution: _rows_of(programs, "contributions"),
        NewsletterSubscription: _rows_of(programs, "subscriptions"),
        NewsletterEdition: _rows_of(programs, "editions"),
    }


def _load_portfolio(ctx: SeedContext, loader: TableLoader, clock: _PhaseClock) -> None:
    loader.suspend_checks(
        seeded_models(), triggers=_REBUILT_TRIGGERS.match, rebuild_indexes=_INDEXES_REBUILT
    )
    # On PostgreSQL two child processes generate these while this one generates and
    # loads the rest (accounts, contracts, usage, adoption...) and PostgreSQL stores it;
    # they are loaded last, when their files are most likely ready (loader.prefetch).
    profile_tables, journey_tables = _profile_tables(ctx), _journey_tables(ctx)
    loader.prefetch(profile_tables)
    loader.prefetch(journey_tables)
    catalogue = catalogue_rows()
    loader.load(Feature, catalogue["features"])
    loader.load(Survey, catalogue["surveys"])
    loader.load(TrainingModule, catalogue["modules"])
    contracts, renewals = commercial_rows(ctx)
    loader.load(Account, account_rows(ctx, next_open_renewals(renewals)))
    contracts += addon_contract_rows(ctx, contracts)
    loader.load(Contract, contracts)
    loader.load(Renewal, renewals)
    stats: dict[int, UsageStats] = {}
    loader.load(
        UsageDaily,
        usage_rows(ctx, stats),
        columns=USAGE_COLUMNS,
        copy_binary=usage_copy_binary(ctx, stats),
    )
    loader.load(FeatureAdoption, adoption_rows(ctx, stats))
    ctas = list(cta_rows(ctx))
    requests = request_rows(ctx)
    loader.load(CTA, ctas + request_cta_rows(ctx, requests, first_id=len(ctas) + 1))
    loader.load(DataSubjectRequest, requests)
    loader.load(ConsentRecord, consent_rows(ctx))
    loader.load(CommunicationRule, communication_rule_rows(ctx))
    reviews = review_rows(ctx)
    loader.load(ExecutiveReview, reviews.reviews)
    loader.load(ExecutiveReview.attendees.through, reviews.attendees)
    loader.load(ExecutiveReview.staff_attendees.through, reviews.staff)
    _load_support_desk(ctx, loader)
    for model, rows in (journey_tables | profile_tables).items():
        loader.load(model, rows)
    clock.lap("tables")
    loader.finish()
    clock.lap("indexes_and_keys")
    if loader.triggers_off:
        # What the switched-off triggers maintain, rebuilt once for the whole load: the
        # accounts' next open renewal, the portfolio rollup, and a new cache version per
        # account (an overview cached before the reseed must not answer after it).
        list_columns_resync()
        overview_versions_bump_all()
        loader.triggers_resume()
        dashboard_version_touch()
        clock.lap("trigger_data_rebuilt")


def _load_support_desk(ctx: SeedContext, loader: TableLoader) -> None:
    desk = support_desk_rows(ctx)
    loader.load(SlaPolicy, desk.policies)
    loader.load(TicketRoutingRule, desk.rules)
    loader.load(KnowledgeArticle, desk.articles)
    loader.load(KnowledgeArticleVersion, desk.versions)
    loader.load(KnowledgeArticleVote, desk.votes)
    loader.load(CustomerPortalSettings, portal_settings_rows(ctx))


def seed_demo_run(
    *,
    accounts: int,
    seed: int,
    today: date,
    reset: bool,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Replace the demo portfolio with ``accounts`` generated accounts, all in one transaction.

    Same ``seed`` and ``today`` give identical rows (ids included). Refuses with
    ``Conflict`` when demo tables hold data and ``reset`` is false; nothing is changed then.
    """
    if not 1 <= accounts <= MAX_ACCOUNTS:
        raise field_error("accounts", f"must be between 1 and {MAX_ACCOUNTS}", code="range")
    if seed < 0:
        raise field_error("seed", "must be a non-negative integer", code="range")
    started = time.perf_counter()
    summary = SeedSummary(accounts=accounts, seed=seed, today=today, backend=connection.vendor)
    say = progress or (lambda _message: None)
    clock = _PhaseClock(summary.phase_seconds)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A 10k-account load runs longer than the request-sized default timeout.
                cursor.execute("SET LOCAL statement_timeout = 0")
        occupied = seeded_tables_with_rows()
        if occupied and not reset:
            shown = ", ".join(occupied[:3]) + (
                f" and {len(occupied) - 3} more" * (len(occupied) > 3)
            )
            raise Conflict(
                f"The demo tables already hold data ({shown}); pass --reset to wipe them "
                "(accounts and everything attached to them) and seed again.",
                details={"tables_with_rows": occupied},
            )
        if occupied:
            say("wiping the demo tables")
            demo_tables_wipe(seeded_models())
        staff = demo_staff_ensure(csm_count=SeedContext.csm_count(accounts))
        demo_rates_ensure(today)
        clock.lap("wipe_and_staff")
        ctx = SeedContext.build(seed=seed, today=today, accounts=accounts, staff=staff)
        clock.lap("profiles")
        loader = TableLoader()
        try:
            _load_portfolio(ctx, loader, clock)
        finally:
            loader.close()  # the prefetching child, should the load have failed
        summary.rows = dict(loader.counts)
        summary.table_seconds = {k: round(v, 3) for k, v in loader.seconds.items()}
        audit_event_record(
            actor=None,
            actor_label="command:seed_demo",
            channel="command",
            action="demo.seeded",
            object_type="customers.account",
            changes={
                "accounts": accounts,
                "seed": seed,
                "today": today.isoformat(),
                "reset": bool(occupied),
                "rows": summary.rows,
            },
        )
        clock.lap("audit")
    clock.lap("commit")
    if connection.vendor == "postgresql":
        say("analyzing the loaded tables")
        with connection.cursor() as cursor:
            for model in loader.loaded:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        clock.lap("analyze")
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary
