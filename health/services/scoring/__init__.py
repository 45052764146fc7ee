"""Health scoring services: recompute snapshots and churn predictions, set-based."""

from health.services.scoring.recompute import (
    CHUNK_SIZE,
    RecomputeSummary,
    account_id_chunks,
    health_recompute_accounts,
    health_recompute_all,
    overrides_for_accounts,
)

__all__ = [
    "CHUNK_SIZE",
    "RecomputeSummary",
    "account_id_chunks",
    "health_recompute_accounts",
    "health_recompute_all",
    "overrides_for_accounts",
]
