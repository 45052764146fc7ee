"""Personal data held by the health app (see `cs_platform.core.personal_data`)."""

from cs_platform.core.personal_data import PersonalModel, Rule, personal_data_register

B, R = Rule.BLANK, Rule.REDACT

personal_data_register(
    PersonalModel(
        "health.SurveyResponse",
        {"comment": R, "external_id": B},
        subject="contact",
        basis="the score stays in the account's NPS/CSAT (legitimate interest)",
    ),
    PersonalModel(
        "health.Feedback",
        {"text": R, "external_id": B},
        subject="contact",
        basis="product feedback stays, mentions of the subject redacted",
    ),
    # An insight's summary is written by staff but may quote a customer.
    PersonalModel("health.ProductInsight", {"summary": R}),
    PersonalModel("health.HealthOverride", {"reason": R}),
    PersonalModel("health.RiskIndicator", {"details": R}),
    PersonalModel("health.MonitorRun", {"details": R, "error": R}),
)
