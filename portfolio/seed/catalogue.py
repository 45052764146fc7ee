"""Fixed catalogues: product features, surveys, training modules, onboarding templates.

Feature keys match the sandbox Mixpanel feature names (integrations/sandbox/data.py), so
synced "Feature Used" events land on these rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Tier
from health.models import SurveyKind


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    key: str
    name: str
    category: str
    popularity: float  # relative chance that an account uses it
    tracked: bool = True


FEATURES = (
    FeatureSpec("dashboards", "Dashboards", "analytics", 10),
    FeatureSpec("reports", "Scheduled reports", "analytics", 8),
    FeatureSpec("exports", "Data exports", "data", 6),
    FeatureSpec("alerts", "Alerts", "monitoring", 6),
    FeatureSpec("integrations", "Integrations hub", "data", 5),
    FeatureSpec("api", "REST API", "platform", 4),
    FeatureSpec("automation", "Workflow automation", "productivity", 4),
    FeatureSpec("sso", "Single sign-on", "security", 3),
    FeatureSpec("mobile", "Mobile app", "productivity", 3),
    FeatureSpec("collaboration", "Shared workspaces", "productivity", 5),
    FeatureSpec("ai_insights", "AI insights", "analytics", 2),
    # Admins only: not a sign of adoption, so it does not count toward feature breadth.
    FeatureSpec("audit_log", "Audit log", "security", 2, tracked=False),
)


@dataclass(frozen=True, slots=True)
class SurveySpec:
    key: str
    name: str
    kind: str
    question: str


NPS_SURVEY = SurveySpec(
    "relationship-nps",
    "Relationship NPS",
    SurveyKind.NPS,
    "How likely are you to recommend us to a friend or colleague? (0-10)",
)
CSAT_SURVEY = SurveySpec(
    "product-csat",
    "Product satisfaction",
    SurveyKind.CSAT,
    "How satisfied are you with the product overall? (1-5)",
)
SURVEYS = (NPS_SURVEY, CSAT_SURVEY)


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    key: str
    title: str
    minutes: int
    certifies: bool = False


TRAINING_MODULES = (
    ModuleSpec("getting-started", "Getting started", 20),
    ModuleSpec("admin-essentials", "Admin essentials", 45),
    ModuleSpec("reporting-dashboards", "Reporting and dashboards", 30),
    ModuleSpec("automation-workflows", "Automating workflows", 40),
    ModuleSpec("api-integrations", "API and integrations", 60),
    ModuleSpec("certified-administrator", "Certified administrator", 120, certifies=True),
)


@dataclass(frozen=True, slots=True)
class PlanTemplate:
    key: str
    target_ttv_days: int
    milestones: tuple[tuple[str, str], ...]  # (key, name), in order; each depends on the last


ENTERPRISE_ROLLOUT = PlanTemplate(
    "enterprise-rollout",
    75,
    (
        ("kickoff", "Kickoff call"),
        ("sso-setup", "SSO configured"),
        ("data-integration", "Data sources connected"),
        ("admin-training", "Admins trained"),
        ("pilot-live", "Pilot team live"),
        ("success-plan", "Success plan signed off"),
        ("org-rollout", "Organisation-wide rollout"),
        ("value-review", "First value review"),
    ),
)
STANDARD = PlanTemplate(
    "standard-onboarding",
    45,
    (
        ("kickoff", "Kickoff call"),
        ("workspace-setup", "Workspace set up"),
        ("data-import", "Data imported"),
        ("admin-training", "Admins trained"),
        ("first-dashboard", "First dashboard shared"),
        ("team-rollout", "Team rolled out"),
    ),
)
QUICKSTART = PlanTemplate(
    "quickstart",
    21,
    (
        ("kickoff", "Welcome call"),
        ("workspace-setup", "Workspace set up"),
        ("first-dashboard", "First dashboard shared"),
        ("invite-team", "Team invited"),
    ),
)
TEMPLATE_FOR_TIER = {
    Tier.ENTERPRISE: ENTERPRISE_ROLLOUT,
    Tier.MID_MARKET: STANDARD,
    Tier.SMB: QUICKSTART,
    Tier.STARTUP: QUICKSTART,
}
