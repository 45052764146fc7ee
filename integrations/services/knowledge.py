"""Knowledge-base articles, versioned: every saved wording (title and body) is a
`KnowledgeArticleVersion` with its author, so "what did the article say then" stays a
query. Votes are counted by their own service, never typed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cs_platform.core.actors import Actor
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    as_row,
    record_create,
    record_delete,
    record_update,
)
from cs_platform.core.services import Diff, fields_check
from integrations.models import KnowledgeArticle, KnowledgeArticleVersion

ARTICLE_FIELDS = ("slug", "title", "body", "status", "tags")
_WORDING = frozenset({"title", "body"})
# The body is kept by the versions; the audit trail names that it changed.
ARTICLE_RECORD = RecordSpec(KnowledgeArticle, "knowledge_article", personal=frozenset({"body"}))


def _version_record(article: KnowledgeArticle, actor: Actor | None) -> KnowledgeArticleVersion:
    return KnowledgeArticleVersion.objects.create(
        article=article,
        version=article.version,
        title=article.title,
        body=article.body,
        author=actor.user if actor else None,
    )


def article_create(*, actor: Actor | None, fields: dict[str, Any]) -> KnowledgeArticle:
    """A new article at version 1, with its first version row."""
    fields_check(fields, ARTICLE_FIELDS)
    with transaction.atomic():
        article = record_create(ARTICLE_RECORD, actor=actor, fields={**fields, "version": 1})
        _version_record(article, actor)
    return article


def article_update(
    *, actor: Actor | None, article: KnowledgeArticle, changes: dict[str, Any]
) -> Diff:
    """Change an article; a new title or body is the next version (with its version row)."""
    fields_check(changes, ARTICLE_FIELDS)
    reworded = any(
        name in _WORDING and getattr(article, name) != value for name, value in changes.items()
    )
    with transaction.atomic():
        if reworded:
            changes = {**changes, "version": article.version + 1}
        diff = record_update(ARTICLE_RECORD, actor=actor, instance=article, changes=changes)
        if reworded:
            _version_record(article, actor)
    return diff


def article_delete(*, actor: Actor | None, article: KnowledgeArticle) -> None:
    """Delete an article with its versions."""
    record_delete(ARTICLE_RECORD, actor=actor, instance=article)


ARTICLE_WRITES = WriteServices(
    create=article_create,
    update=as_row("article", article_update),
    delete=as_row("article", article_delete),
    create_fields=ARTICLE_FIELDS,
    update_fields=ARTICLE_FIELDS,
)
