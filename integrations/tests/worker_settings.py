"""Settings for the Celery workers that the worker-loss tests start and kill: the real
settings with a fast heartbeat and short staleness windows, so a redelivered task
recognises the killed worker's sync run or outbox claim as abandoned within seconds
instead of minutes."""

from cs_platform.settings import *  # noqa: F403

SYNC_HEARTBEAT_SECONDS = 0.3
SYNC_STALE_AFTER_SECONDS = 1.5

OUTBOX_CLAIM_TIMEOUT_SECONDS = 1.5
OUTBOX_RETRY_BASE_SECONDS = 0.5
OUTBOX_SENDGRID_SETTLE_SECONDS = 0.0
