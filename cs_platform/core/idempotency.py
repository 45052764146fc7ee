"""Stored answers of mutating tool calls, replayed for a repeated idempotency key.

Read and written inside `invoke_tool`'s transaction: the stored answer commits with the
call's writes and its audit event, or not at all.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from cs_platform.core.errors import Conflict
from cs_platform.core.models import IdempotencyRecord


def idempotency_record_get(*, user_id: int, tool: str, key: str) -> IdempotencyRecord | None:
    """The stored call for this user, tool and key, locked until the transaction ends."""
    return (
        IdempotencyRecord.objects.select_for_update()
        .filter(user_id=user_id, tool=tool, key=key)
        .first()
    )


def idempotency_record_store(
    *, user_id: int, tool: str, key: str, request_hash: str, response: dict[str, Any]
) -> IdempotencyRecord:
    """Keep a call's answer under its key. A concurrent call that stored the same key
    first makes this one a retryable `conflict` (its writes must not commit; a retry
    replays that call's answer); any other violation (a bug) would repeat, so it goes
    up as the internal error it is."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user_id=user_id, tool=tool, key=key, request_hash=request_hash, response=response
            )
    except IntegrityError:
        if not IdempotencyRecord.objects.filter(user_id=user_id, tool=tool, key=key).exists():
            raise
        raise Conflict(
            "a concurrent call with this idempotency_key finished first; retry to get its answer",
            retryable=True,
        ) from None
