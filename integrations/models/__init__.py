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
from integrations.models.support import (
    OPEN_TICKET_STATUSES,
    ArticleStatus,
    KnowledgeArticle,
    KnowledgeArticleVersion,
    SupportTicket,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from integrations.models.usage import FeatureUsageDay

__all__ = [
    "ACTIVE_SYNC_STATUSES",
    "FeatureUsageDay",
    "OPEN_TICKET_STATUSES",
    "ArticleStatus",
    "Connection",
    "EmailEvent",
    "EmailMessage",
    "EmailStatus",
    "EncryptionCanary",
    "KnowledgeArticle",
    "KnowledgeArticleVersion",
    "Provider",
    "SupportTicket",
    "SyncRun",
    "SyncStatus",
    "TicketComment",
    "TicketPriority",
    "TicketStatus",
    "WebhookEvent",
    "WebhookStatus",
]
