"""Customer records whose only rules are their models' (types, choices, constraints) and
the caller's book: created, changed and deleted through `cs_platform.core.records`, each
write validated, scoped and audited (`<label>.create|update|delete`).

Entities with rules of their own have their own services: accounts, contacts, CTAs,
escalations, lifecycle moves (this package) and campaigns (`health.services.campaigns`).
"""

from __future__ import annotations

from cs_platform.core.records import RecordSpec
from customers.models import (
    Activity,
    Contract,
    ExpansionOpportunity,
    OnboardingMilestone,
    OnboardingPlan,
    Program,
    ProgramContribution,
    ProgramMember,
    Renewal,
    TrainingCompletion,
    TrainingModule,
)

CONTRACT_RECORD = RecordSpec(Contract, "contract", account="account")
RENEWAL_RECORD = RecordSpec(
    Renewal, "renewal", account="account", personal=frozenset({"notes"}), assignees=("owner",)
)
EXPANSION_RECORD = RecordSpec(ExpansionOpportunity, "expansion_opportunity", account="account")
# An activity's body and attendees are notes about people: audited by field name only.
ACTIVITY_RECORD = RecordSpec(
    Activity,
    "activity",
    account="account",
    personal=frozenset({"body", "attendees", "outcomes"}),
    author="author",
)
ONBOARDING_PLAN_RECORD = RecordSpec(
    OnboardingPlan, "onboarding_plan", account="account", assignees=("owner",)
)
MILESTONE_RECORD = RecordSpec(OnboardingMilestone, "onboarding_milestone", account="plan__account")
TRAINING_MODULE_RECORD = RecordSpec(TrainingModule, "training_module")
TRAINING_COMPLETION_RECORD = RecordSpec(
    TrainingCompletion, "training_completion", account="contact__account"
)
PROGRAM_RECORD = RecordSpec(Program, "program")
PROGRAM_MEMBER_RECORD = RecordSpec(ProgramMember, "program_member", account="contact__account")
# The points ledger is append-only: contributions are added, never changed or removed.
CONTRIBUTION_RECORD = RecordSpec(
    ProgramContribution,
    "program_contribution",
    account="member__contact__account",
    personal=frozenset({"note"}),
)

RENEWAL_WRITES = RENEWAL_RECORD.writes()
EXPANSION_WRITES = EXPANSION_RECORD.writes()
ACTIVITY_WRITES = ACTIVITY_RECORD.writes()
ONBOARDING_PLAN_WRITES = ONBOARDING_PLAN_RECORD.writes()
MILESTONE_WRITES = MILESTONE_RECORD.writes()
TRAINING_MODULE_WRITES = TRAINING_MODULE_RECORD.writes()
TRAINING_COMPLETION_WRITES = TRAINING_COMPLETION_RECORD.writes()
PROGRAM_WRITES = PROGRAM_RECORD.writes()
PROGRAM_MEMBER_WRITES = PROGRAM_MEMBER_RECORD.writes()
CONTRIBUTION_WRITES = CONTRIBUTION_RECORD.writes(update=False, delete=False)
