from customers.models.accounts import Account, Contact, ContactRole
from customers.models.choices import (
    AccountStatus,
    Currency,
    Industry,
    LifecycleStage,
    PaymentStatus,
    Tier,
)
from customers.models.commercial import (
    Contract,
    ContractStatus,
    ExpansionOpportunity,
    ForecastCategory,
    OpportunityKind,
    OpportunityStatus,
    Renewal,
    RenewalOutcome,
    RenewalStage,
)
from customers.models.engagement import (
    CTA,
    Activity,
    ActivityKind,
    Campaign,
    CampaignEnrollment,
    CampaignKind,
    CampaignStatus,
    CtaReason,
    CtaStatus,
    EnrollmentStatus,
    Escalation,
    EscalationStatus,
    LifecycleStageChange,
    Priority,
    Program,
    ProgramContribution,
    ProgramKind,
    ProgramMember,
)
from customers.models.onboarding import (
    MilestoneStatus,
    OnboardingMilestone,
    OnboardingPlan,
    PlanStatus,
    TrainingCompletion,
    TrainingModule,
)

__all__ = [
    "CTA", "Account", "AccountStatus", "Activity", "ActivityKind", "Campaign",
    "CampaignEnrollment", "CampaignKind", "CampaignStatus", "Contact", "ContactRole",
    "Contract", "ContractStatus", "CtaReason", "CtaStatus", "Currency", "EnrollmentStatus",
    "Escalation", "EscalationStatus", "ExpansionOpportunity", "ForecastCategory", "Industry",
    "LifecycleStage", "LifecycleStageChange", "MilestoneStatus", "OnboardingMilestone",
    "OnboardingPlan", "OpportunityKind", "OpportunityStatus", "PaymentStatus", "PlanStatus",
    "Priority", "Program", "ProgramContribution", "ProgramKind", "ProgramMember", "Renewal",
    "RenewalOutcome", "RenewalStage", "Tier", "TrainingCompletion", "TrainingModule",
]
