"""Personal data held by the integrations app (see `cs_platform.core.personal_data`)."""

from cs_platform.core.personal_data import PersonalModel, RowRule, Rule, personal_data_register

A, B, R = Rule.ANONYMISE, Rule.BLANK, Rule.REDACT

personal_data_register(
    PersonalModel(
        "integrations.EmailMessage",
        {"to_email": A, "subject": R, "body": R, "error": R, "provider_message_id": B},
        subject="contact",
        email_fields=("to_email",),
        basis="the send record stays for delivery statistics, its text redacted",
    ),
    PersonalModel(
        "integrations.EmailEvent",
        {"email": A, "payload": R},
        subject="message__contact",
        email_fields=("email",),
        basis="delivery events stay for statistics, the address anonymised",
    ),
    PersonalModel(
        "integrations.SupportTicket",
        {"subject": R, "description": R, "assignee": R, "mirror_error": R},
        subject="contact",
        basis="ticket counts and SLA history (legitimate interest), text redacted",
    ),
    PersonalModel(
        "integrations.TicketComment",
        {"author": R, "body": R},
        subject="ticket__contact",
        basis="the ticket's thread stays, mentions redacted",
    ),
    # Found by searching their text for the subject (a payload names people by address).
    PersonalModel("integrations.WebhookEvent", {"payload": R, "error": R}),
    PersonalModel(
        "integrations.SyncRun",
        {"error_message": R, "unmatched_samples": R, "cursor_before": R, "cursor_after": R},
    ),
    # A deletion's `target_id` is an erased person's provider id: kept until the provider
    # confirms the deletion (then cleared), since the deletion cannot be made without it.
    PersonalModel(
        "integrations.OutboxMessage",
        {"error": R, "target_id": Rule.KEEP},
        basis="a queued provider deletion needs its target until it is confirmed",
    ),
    # A vote names its voter ("contact:<id>" or a staff label); the verdict stays counted.
    PersonalModel(
        "integrations.KnowledgeArticleVote",
        {"voter": A},
        contact_label_fields=("voter",),
        basis="the vote stays counted on its article",
    ),
    PersonalModel("integrations.CustomerPortalSettings", {"welcome_message": R}),
    # A subscription and an edition's delivery exist only for the person: deleted.
    PersonalModel(
        "integrations.NewsletterSubscription", {}, subject="contact", rows=RowRule.DELETE
    ),
    PersonalModel("integrations.NewsletterDelivery", {}, subject="contact", rows=RowRule.DELETE),
)
