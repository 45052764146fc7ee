"""Which tables the demo seed owns: the catalogues, accounts and all that hangs off them."""

from __future__ import annotations

from django.db import models

from customers.models import Account, OnboardingTemplate, Program, TrainingModule
from gdpr.models import DataSubjectRequest
from health.models import Feature, ProductInsight, Survey
from integrations.models import (
    CommunicationRule,
    KnowledgeArticle,
    NewsletterEdition,
    SlaPolicy,
    TicketRoutingRule,
)
from portfolio.seed.loader import demo_models


def seeded_models() -> list[type[models.Model]]:
    """Tables ``seed_demo --reset`` empties (and the content hash reads)."""
    return demo_models(
        [
            Account,
            Feature,
            Survey,
            TrainingModule,
            KnowledgeArticle,
            SlaPolicy,
            TicketRoutingRule,
            ProductInsight,
            CommunicationRule,
            OnboardingTemplate,
            Program,
            NewsletterEdition,
            DataSubjectRequest,  # no account to hang on: the demo's requests are a root
        ]
    )


def seeded_tables_with_rows() -> list[str]:
    """Labels of the demo tables that hold at least one row."""
    return [m._meta.label for m in seeded_models() if m._default_manager.exists()]
