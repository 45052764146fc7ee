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
from integrations.models.usage import FeatureUsageDay

__all__ = [
    "ACTIVE_SYNC_STATUSES",
    "FeatureUsageDay",
    "UNFINISHED_OUTBOX_STATUSES",
    "ArticleStatus",
    "Connection",
    "EmailEvent",
    "EmailMessage",
    "EmailStatus",
    "EncryptionCanary",
    "KnowledgeArticle",
    "KnowledgeArticleVersion",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
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
