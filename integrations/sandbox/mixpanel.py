"""Mixpanel raw event export: ``GET /mixpanel/api/2.0/export`` answers JSON lines, one
event per line, streamed in chunks as they are generated (a 200k-event export never
exists in memory as a whole).

The volume per account and day comes from ``Dataset.daily_events`` (a per-account trend);
``Dataset.event_count`` says how many lines an export returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

from integrations.sandbox.config import SandboxCredentials
from integrations.sandbox.data import (
    FEATURE_EVENT,
    FEATURES,
    SESSION_EVENT,
    SESSION_EVERY,
    Dataset,
    epoch_of,
    mix,
)
from integrations.sandbox.web import Request, Response, Route, json_response, route

CHUNK_BYTES = 64 * 1024
MAX_LIMIT = 100_000


def _error(status: int, message: str) -> Response:
    return json_response(status, {"request": "/api/2.0/export", "error": message})


def export_lines(
    ds: Dataset,
    from_date: date,
    to_date: date,
    events: frozenset[str] | None = None,
    limit: int | None = None,
) -> Iterator[bytes]:
    """Yield the export body in ~64 KiB chunks, day by day, account by account."""
    buffer: list[str] = []
    size = 0
    emitted = 0
    for day_index in ds.day_indexes(from_date, to_date):
        day_start = epoch_of(ds.first_day + timedelta(days=day_index))
        ordinal = (ds.first_day + timedelta(days=day_index)).toordinal()
        for source in ds.usage_sources:
            count = ds.daily_events(source, day_index)
            users = source.users
            for k in range(count):
                name = SESSION_EVENT if k % SESSION_EVERY == 0 else FEATURE_EVENT
                if events is not None and name not in events:
                    continue
                if limit is not None and emitted >= limit:
                    break
                h = mix(ds.seed, source.number, ordinal, k)
                # json.dumps of the str fields is needed only where values could need
                # escaping; ids, e-mails and feature keys are plain ASCII.
                line = (
                    f'{{"event":"{name}","properties":{{"time":{day_start + h % 86400},'
                    f'"distinct_id":"{users[(h >> 20) % len(users)]}",'
                    f'"$insert_id":"{ds.seed}-{source.number}-{ordinal}-{k}",'
                    f'"account_id":"{source.account_id}",'
                    f'"feature":"{FEATURES[(h >> 40) % len(FEATURES)]}",'
                    f'"session_id":"s-{source.number}-{ordinal}-{k // SESSION_EVERY}",'
                    f'"mp_lib":"sandbox"}}}}\n'
                )
                buffer.append(line)
                size += len(line)
                emitted += 1
                if size >= CHUNK_BYTES:
                    yield "".join(buffer).encode()
                    buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


class MixpanelProvider:
    name = "mixpanel"

    def __init__(self, dataset: Dataset, credentials: SandboxCredentials) -> None:
        self.dataset = dataset
        self.credentials = credentials

    def authenticate(self, request: Request) -> Response | None:
        expected = (self.credentials.mixpanel_username, self.credentials.mixpanel_secret)
        if request.basic_auth() != expected:
            return _error(401, "Invalid credentials")
        return None

    def routes(self) -> list[Route]:
        return [route("GET", "/mixpanel/api/2.0/export", self.export)]

    def control_routes(self) -> list[Route]:
        return []

    def export(self, request: Request) -> Response:
        try:
            from_date = date.fromisoformat(request.arg("from_date") or "")
            to_date = date.fromisoformat(request.arg("to_date") or "")
        except ValueError:
            return _error(400, "from_date and to_date are required, as yyyy-mm-dd")
        if from_date > to_date:
            return _error(400, "to_date must not be before from_date")
        project = request.arg("project_id")
        if project is not None and project != str(self.credentials.mixpanel_project_id):
            return _error(400, f"project_id {project} is not accessible to this account")
        events = None
        raw_event = request.arg("event")
        if raw_event:
            try:
                parsed = json.loads(raw_event)  # Mixpanel takes a JSON array of names
            except ValueError:
                parsed = [raw_event]
            events = frozenset([parsed] if isinstance(parsed, str) else map(str, parsed))
        limit = None
        if request.arg("limit"):
            try:
                limit = int(request.arg("limit") or "")
            except ValueError:
                return _error(400, "limit must be an integer")
            if not 0 < limit <= MAX_LIMIT:
                return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
        body = export_lines(self.dataset, from_date, to_date, events, limit)
        return Response(200, body, {"Content-Type": "text/plain; charset=utf-8"})
