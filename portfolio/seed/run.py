"""The ``seed_demo`` service: wipe the demo tables, generate the portfolio, bulk-load it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction

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
from portfolio.seed.accounts import account_rows, catalogue_rows, contact_rows
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
from portfolio.seed.usage import USAGE_COLUMNS, UsageStats, usage_copy_text, usage_rows
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


@dataclass
class SeedSummary:
    accounts: int
    seed: int
    today: date
    backend: str
    rows: dict[str, int] = field(default_factory=dict)
    table_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _load_portfolio(ctx: SeedContext, loader: TableLoader) -> None:
    loader.suspend_checks(seeded_models(), triggers=_REBUILT_TRIGGERS.match)
    catalogue = catalogue_rows()
    loader.load(Feature, catalogue["features"])
    loader.load(Survey, catalogue["surveys"])
    loader.load(TrainingModule, catalogue["modules"])
    loader.load(Account, account_rows(ctx))
    loader.load(Contact, contact_rows(ctx))
    contracts, renewals = commercial_rows(ctx)
    contracts += addon_contract_rows(ctx, contracts)
    loader.load(Contract, contracts)
    loader.load(Renewal, renewals)
    stats: dict[int, UsageStats] = {}
    loader.load(
        UsageDaily,
        usage_rows(ctx, stats),
        columns=USAGE_COLUMNS,
        copy_text=usage_copy_text(ctx, stats),
    )
    loader.load(FeatureAdoption, adoption_rows(ctx, stats))
    loader.load(SupportTicket, ticket_rows(ctx))
    loader.load(SurveyResponse, survey_response_rows(ctx))
    feedback = list(feedback_rows(ctx))
    loader.load(Feedback, feedback)
    insights = insight_rows(ctx, feedback)
    loader.load(ProductInsight, insights.insights)
    loader.load(ProductInsight.feedback.through, insights.links)
    onboarding = onboarding_rows(ctx)
    loader.load(OnboardingPlan, onboarding.plans)
    loader.load(OnboardingMilestone, onboarding.milestones)
    loader.load(OnboardingMilestone.depends_on.through, onboarding.dependencies)
    completions = list(training_completion_rows(ctx))
    loader.load(TrainingCompletion, completions)
    _load_training(ctx, loader, completions)
    loader.load(Activity, activity_rows(ctx))
    loader.load(LifecycleStageChange, stage_change_rows(ctx))
    ctas = list(cta_rows(ctx))
    requests = request_rows(ctx)
    loader.load(CTA, ctas + request_cta_rows(ctx, requests, first_id=len(ctas) + 1))
    loader.load(DataSubjectRequest, requests)
    loader.load(ConsentRecord, consent_rows(ctx))
    loader.load(CommunicationRule, communication_rule_rows(ctx))
    programs = program_rows(ctx)
    loader.load(Program, programs.programs)
    loader.load(ProgramMember, programs.members)
    loader.load(ProgramContribution, programs.contributions)
    loader.load(NewsletterSubscription, programs.subscriptions)
    loader.load(NewsletterEdition, programs.editions)
    reviews = review_rows(ctx)
    loader.load(ExecutiveReview, reviews.reviews)
    loader.load(ExecutiveReview.attendees.through, reviews.attendees)
    loader.load(ExecutiveReview.staff_attendees.through, reviews.staff)
    _load_support_desk(ctx, loader)
    loader.finish()
    if loader.triggers_off:
        # What the switched-off triggers maintain, rebuilt once for the whole load: the
        # accounts' next open renewal, the portfolio rollup, and a new cache version per
        # account (an overview cached before the reseed must not answer after it).
        list_columns_resync()
        overview_versions_bump_all()
        loader.triggers_resume()
        dashboard_version_touch()


def _load_training(ctx: SeedContext, loader: TableLoader, completions: list[dict]) -> None:
    training = training_rows(ctx, completions)
    loader.load(OnboardingTemplate, training.templates)
    loader.load(OnboardingTemplateMilestone, training.template_milestones)
    loader.load(TrainingSession, training.sessions)
    loader.load(TrainingAttendance, training.attendance)


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
        ctx = SeedContext.build(seed=seed, today=today, accounts=accounts, staff=staff)
        loader = TableLoader()
        _load_portfolio(ctx, loader)
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
    if connection.vendor == "postgresql":
        say("analyzing the loaded tables")
        with connection.cursor() as cursor:
            for model in loader.loaded:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary
