"""Recompute health snapshots and churn predictions for a chunk of accounts, set-based.

Per chunk, whatever its size: one query for the scorecard, one for every input of every
account (``health_inputs_for_accounts``), one for overrides, then the bulk writes of
``writes.py`` and one audit event. Scoring happens in Python on the compiled scorecard.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from audit.services import audit_event_record
from cs_platform.core import clock
from customers.models import Account
from health.metrics import recompute_chunk_count
from health.models import HealthOverride
from health.scoring import MODEL_VERSION, Override
from health.scoring.compiled_churn import churn_predict_compact
from health.selectors.churn_calibration import churn_calibration_in_force
from health.selectors.health_inputs import health_inputs_for_accounts
from health.selectors.scorecards import compiled_for
from health.services.scoring.churn import churn_features
from health.services.scoring.context import DEFAULT_SCORECARD_KEY, scorecard_row_active
from health.services.scoring.scored_row import ScoredRow
from health.services.scoring.writes import write_chunk

CHUNK_SIZE = 1000
# An ended override stays visible in results ("override expired on …") for this long.
OVERRIDE_ECHO = timedelta(days=30)


@dataclass
class RecomputeSummary:
    as_of: datetime
    scorecard: str
    accounts: int = 0
    scored: int = 0
    unknown: int = 0
    overrides_applied: int = 0
    predictions: int = 0
    bands: dict[str, int] = field(default_factory=dict)

    def add(self, other: RecomputeSummary) -> None:
        self.accounts += other.accounts
        self.scored += other.scored
        self.unknown += other.unknown
        self.overrides_applied += other.overrides_applied
        self.predictions += other.predictions
        for band, n in other.bands.items():
            self.bands[band] = self.bands.get(band, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "scorecard": self.scorecard,
            "accounts": self.accounts,
            "scored": self.scored,
            "unknown": self.unknown,
            "overrides_applied": self.overrides_applied,
            "predictions": self.predictions,
            "bands": dict(sorted(self.bands.items())),
        }


def overrides_for_accounts(account_ids: Sequence[int], *, as_of: datetime) -> dict[int, Override]:
    """The latest override of each account made by ``as_of`` that is active then or ended
    within ``OVERRIDE_ECHO`` (so a result can say it expired). One query."""
    since = as_of - OVERRIDE_ECHO
    wanted = set(account_ids)
    if not wanted:
        return {}
    # The id range, not an IN list of 1,000 parameters (building and binding that cost more
    # than the query): overrides are few, the ones of accounts outside the chunk that fall
    # in the range are dropped below.
    rows = (
        HealthOverride.objects.filter(
            account_id__gte=min(wanted), account_id__lte=max(wanted), created_at__lte=as_of
        )
        .exclude(revoked_at__lt=since)
        .exclude(expires_at__lt=since)
        .order_by("account_id", "-created_at", "-id")
        .values_list(
            "id", "account_id", "score", "reason", "author__username", "expires_at",
            "created_at", "revoked_at",
        )
    )  # fmt: skip
    picked: dict[int, Override] = {}
    for pk, account_id, score, reason, author, expires_at, created_at, revoked_at in rows:
        if account_id in picked or account_id not in wanted:
            continue
        # A revocation after as_of did not exist yet at as_of.
        revoked = revoked_at if revoked_at is not None and revoked_at <= as_of else None
        picked[account_id] = Override(
            score=float(score),
            reason=reason,
            author=author,
            expires_at=expires_at,
            created_at=created_at,
            revoked_at=revoked,
            override_id=pk,
        )
    return picked


def health_recompute_accounts(
    *,
    account_ids: Sequence[int],
    as_of: datetime,
    scorecard_key: str = DEFAULT_SCORECARD_KEY,
    now: datetime | None = None,
    actor: Any = None,
    actor_label: str = "system:health.recompute",
    channel: str = "task",
) -> RecomputeSummary:
    """Score ``account_ids`` as of ``as_of`` with the active scorecard and persist a snapshot
    and a churn prediction per account, in one transaction with one audit event.

    Idempotent: the same ``as_of`` again replaces the snapshots and predictions it wrote.
    Ids that no longer exist are skipped.
    """
    now = now or clock.now()
    started = time.perf_counter()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A chunk is index lookups for ~1,000 accounts: parallel workers, which the
                # planner starts for them once health_healthscore holds millions of rows,
                # cost more to launch than they save (the fan-out is parallel already).
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                if outermost:
                    # Snapshots are derived data: after a crash the next run recomputes
                    # what the last ~0.2 s of commits lost, so a chunk need not wait for
                    # its WAL flush. Only when this is the whole transaction: a caller's
                    # own writes (an override, a tool's audit event) stay durable.
                    cursor.execute("SET LOCAL synchronous_commit = off")
        card_row = scorecard_row_active(scorecard_key)
        compiled = compiled_for(card_row)
        summary = RecomputeSummary(as_of=as_of, scorecard=f"{card_row.key} v{card_row.version}")
        inputs = health_inputs_for_accounts(account_ids, as_of=as_of, now=now)
        if not inputs:
            return summary
        overrides = overrides_for_accounts(list(inputs), as_of=as_of)
        calibration, calibration_id = churn_calibration_in_force()
        rows = []
        for account_id, acc in inputs.items():
            fast = compiled.score(acc.values, overrides.get(account_id), as_of)
            probability, risk_level, coverage, factors, raw = churn_predict_compact(
                churn_features(fast.computed_score, acc.values), calibration
            )
            rows.append(
                ScoredRow(
                    account_id=account_id,
                    result=fast,
                    inputs_json=acc.records_json(),
                    probability=probability,
                    risk_level=risk_level,
                    prediction_coverage=coverage,
                    factors_json=factors,
                    raw_probability=raw,
                )
            )
            summary.accounts += 1
            summary.scored += fast.computed_score is not None
            summary.unknown += fast.computed_score is None
            summary.overrides_applied += fast.override_applied
            summary.bands[fast.band] = summary.bands.get(fast.band, 0) + 1
        summary.predictions = write_chunk(
            rows=rows,
            scorecard_id=card_row.pk,
            as_of=as_of,
            now=now,
            model_version=MODEL_VERSION,
            calibration_id=calibration_id,
        )
        audit_event_record(
            actor=actor,
            actor_label=actor_label,
            channel=channel,
            action="health.recompute",
            obj=card_row,
            account_id=rows[0].account_id if len(rows) == 1 else None,
            changes={**summary.to_dict(), "first_id": rows[0].account_id,
                     "last_id": rows[-1].account_id},
        )  # fmt: skip
    recompute_chunk_count(
        seconds=time.perf_counter() - started, scored=summary.scored, unknown=summary.unknown
    )
    return summary


def account_id_chunks(
    *, chunk_size: int = CHUNK_SIZE, account_ids: Sequence[int] | None = None
) -> Iterator[list[int]]:
    """Every account id (or the given ones) in ascending chunks, read by keyset."""
    if account_ids is not None:
        ordered = sorted(set(account_ids))
        for start in range(0, len(ordered), chunk_size):
            yield ordered[start : start + chunk_size]
        return
    last = 0
    while True:
        ids = list(
            Account.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def health_recompute_all(
    *,
    as_of: datetime,
    chunk_size: int = CHUNK_SIZE,
    scorecard_key: str = DEFAULT_SCORECARD_KEY,
    channel: str = "command",
    actor_label: str = "system:health.recompute",
) -> RecomputeSummary:
    """The whole portfolio, chunk by chunk in this process (each chunk its own transaction)."""
    total = RecomputeSummary(as_of=as_of, scorecard=scorecard_key)
    for ids in account_id_chunks(chunk_size=chunk_size):
        part = health_recompute_accounts(
            account_ids=ids,
            as_of=as_of,
            scorecard_key=scorecard_key,
            channel=channel,
            actor_label=actor_label,
        )
        total.scorecard = part.scorecard
        total.add(part)
    return total
