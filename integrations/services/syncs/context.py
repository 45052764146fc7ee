"""What a stream sync works with: the run, the client, its cursors, and ``commit_page``,
which writes one page's rows and advances the stream's cursor in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from audit.services import audit_event_record
from cs_platform.core import clock
from integrations.clients import ProviderClient
from integrations.models import Connection, SyncRun

SYSTEM_ACTOR_LABEL = "system:sync"


@dataclass
class PageResult:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unmatched: int = 0
    failed: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # for the audit event

    def unmatched_record(self, stream: str, external_id: Any, reason: str) -> None:
        self.unmatched += 1
        self.samples.append({"stream": stream, "id": str(external_id), "reason": reason})

    def failed_record(self, stream: str, external_id: Any, reason: str) -> None:
        self.failed += 1
        self.samples.append(
            {"stream": stream, "id": str(external_id), "reason": f"invalid: {reason}"}
        )


@dataclass(frozen=True)
class PageProgress:
    run_id: int
    stream: str
    page: int
    result: PageResult
    cursor: Any


def sample_limit() -> int:
    return int(getattr(settings, "SYNC_UNMATCHED_SAMPLES", 25))


class SyncContext:
    def __init__(
        self,
        *,
        connection: Connection,
        run: SyncRun,
        client: ProviderClient,
        full_resync: bool,
        on_page: Callable[[PageProgress], None] | None = None,
    ) -> None:
        self.connection = connection
        self.run = run
        self.client = client
        self.full_resync = full_resync
        self.on_page = on_page
        self.options: dict[str, Any] = dict(connection.settings or {})
        self.stored_cursors: dict[str, Any] = dict(connection.cursors or {})
        self.run_cursors: dict[str, Any] = {}  # cursors this run committed
        self.samples: list[dict[str, Any]] = list(run.unmatched_samples or [])
        self.pages = 0

    @property
    def now(self) -> datetime:
        return clock.now()

    def option(self, name: str, default: Any) -> Any:
        value = self.options.get(name)
        return default if value is None else value

    def cursor(self, stream: str) -> Any:
        """Where ``stream`` resumes: this run's last commit, else the stored cursor
        (ignored by a full resync), else None (from the beginning)."""
        if stream in self.run_cursors:
            return self.run_cursors[stream]
        return None if self.full_resync else self.stored_cursors.get(stream)

    def _merged_samples(self, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The run's samples plus new ones, one per record, up to the limit."""
        samples = list(self.samples)
        seen = {(s.get("stream"), s.get("id")) for s in samples}
        for sample in new:
            key = (sample.get("stream"), sample.get("id"))
            if len(samples) >= sample_limit():
                break
            if key not in seen:
                seen.add(key)
                samples.append(sample)
        return samples

    def commit_page(self, stream: str, write: Callable[[], PageResult], cursor: Any) -> PageResult:
        """Run ``write`` (this page's upserts) and move ``stream``'s cursor to ``cursor``
        in one transaction: a crash before commit leaves both as they were, so the page
        is fetched again and, being an upsert, applied once."""
        now = self.now
        with transaction.atomic():
            result = write()
            cursors = {**self.stored_cursors, stream: cursor}
            Connection.objects.filter(pk=self.connection.pk).update(cursors=cursors)
            samples = self._merged_samples(result.samples)
            SyncRun.objects.filter(pk=self.run.pk).update(
                fetched=F("fetched") + result.fetched,
                created=F("created") + result.created,
                updated=F("updated") + result.updated,
                unmatched=F("unmatched") + result.unmatched,
                failed=F("failed") + result.failed,
                heartbeat_at=now,
                cursor_after=cursors,
                unmatched_samples=samples,
            )
            if result.created or result.updated:
                audit_event_record(
                    actor=None,
                    actor_label=SYSTEM_ACTOR_LABEL,
                    channel="task",
                    action=f"integrations.sync_{stream}",
                    obj=self.run,
                    changes={
                        "connection_id": self.connection.pk,
                        "created": result.created,
                        "updated": result.updated,
                        "cursor": cursor,
                        **result.details,
                    },
                )
        self.stored_cursors = cursors
        self.run_cursors[stream] = cursor
        self.samples = samples
        self.pages += 1
        if self.on_page is not None:
            self.on_page(PageProgress(self.run.pk, stream, self.pages, result, cursor))
        return result
