from integrations.models.connections import (
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

__all__ = [
    "OPEN_TICKET_STATUSES", "ArticleStatus", "Connection", "EmailEvent", "EmailMessage",
    "EmailStatus", "EncryptionCanary", "KnowledgeArticle", "KnowledgeArticleVersion",
    "Provider", "SupportTicket", "SyncRun", "SyncStatus", "TicketComment", "TicketPriority",
    "TicketStatus", "WebhookEvent", "WebhookStatus",
]
