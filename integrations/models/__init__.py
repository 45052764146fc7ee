from integrations.models.connections import (
    ACTIVE_SYNC_STATUSES,
    Connection,
    EncryptionCanary,
    Provider,
    SyncRun,
    SyncStatus,
    WebhookEvent,
    WebhookStatus,
)
from integrations.models.email import EmailEvent, EmailMessage, EmailStatus
from integrations.models.outbox import (
    UNFINISHED_OUTBOX_STATUSES,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from integrations.models.support import (
    ArticleStatus,
    KnowledgeArticle,
    KnowledgeArticleVersion,
    SupportTicket,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from integrations.models.support_desk import (
    CustomerPortalSettings,
    KnowledgeArticleVote,
    SlaPolicy,
    TicketRoutingRule,
)
from integrations.models.usage import FeatureUsageDay

__all__ = [
    "ACTIVE_SYNC_STATUSES",
    "FeatureUsageDay",
    "UNFINISHED_OUTBOX_STATUSES",
    "ArticleStatus",
    "Connection",
    "CustomerPortalSettings",
    "EmailEvent",
    "EmailMessage",
    "EmailStatus",
    "EncryptionCanary",
    "KnowledgeArticle",
    "KnowledgeArticleVersion",
    "KnowledgeArticleVote",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "Provider",
    "SlaPolicy",
    "SupportTicket",
    "SyncRun",
    "SyncStatus",
    "TicketComment",
    "TicketPriority",
    "TicketRoutingRule",
    "TicketStatus",
    "WebhookEvent",
    "WebhookStatus",
]
