"""Personal data held by the gdpr app (see `cs_platform.core.personal_data`)."""

from cs_platform.core.personal_data import PersonalModel, Rule, personal_data_register

personal_data_register(
    PersonalModel(
        "gdpr.ConsentRecord",
        {"source": Rule.KEEP},
        subject="contact",
        basis="proof of consent and of its withdrawal (legal obligation, Art. 7(1))",
    ),
    PersonalModel(
        "gdpr.DataSubjectRequest",
        {"subject_email": Rule.ANONYMISE, "result": Rule.REDACT},
        email_fields=("subject_email",),
        basis="proof that the request was answered (legal obligation, Art. 5(2))",
    ),
)
