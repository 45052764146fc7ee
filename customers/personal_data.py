"""Personal data held by the customers app (see `cs_platform.core.personal_data`)."""

from cs_platform.core.personal_data import PersonalModel, RowRule, Rule, personal_data_register

A, B, R, K = Rule.ANONYMISE, Rule.BLANK, Rule.REDACT, Rule.KEEP

personal_data_register(
    PersonalModel(
        "customers.Contact",
        # External ids are blanked: the erased row must not link back to the provider's
        # record of the person.
        {"email": A, "first_name": B, "last_name": B, "title": B, "phone": B,
         "external_id": B, "intercom_contact_id": B, "zendesk_user_id": B},
        subject="",
        basis="the anonymised row keeps the account's contact count and history ids",
    ),
    PersonalModel(
        "customers.Activity",
        {"subject": R, "body": R, "attendees": R, "outcomes": R},
        subject="contact",
        basis="the account's activity history (legitimate interest), mentions redacted",
    ),
    PersonalModel("customers.ProgramMember", {}, subject="contact", rows=RowRule.DELETE),
    PersonalModel(
        "customers.ProgramContribution", {"note": R}, subject="member__contact",
        rows=RowRule.DELETE,
    ),
    PersonalModel("customers.TrainingCompletion", {}, subject="contact", rows=RowRule.DELETE),
    PersonalModel("customers.TrainingAttendance", {}, subject="contact", rows=RowRule.DELETE),
    # Free text about an account may name a person: found by searching it, redacted.
    PersonalModel("customers.Account", {"notes": R}),
    PersonalModel("customers.Renewal", {"notes": R}),
    PersonalModel("customers.CTA", {"title": R, "details": R}),
    PersonalModel("customers.Escalation", {"summary": R}),
    PersonalModel("customers.LifecycleStageChange", {"reason": R}),
    PersonalModel("customers.ExpansionOpportunity", {"rationale": R}),
    # An executive review's text may name people (its attendees link to the contact rows).
    PersonalModel(
        "customers.ExecutiveReview",
        {"title": R, "outcome": R, "agenda": R, "objectives": R},
    ),
)  # fmt: skip
