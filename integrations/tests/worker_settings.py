"""Settings for the Celery worker that test_sync_worker_kill starts and kills: the real
settings with a fast heartbeat and a short staleness window, so the redelivered task
recognises the killed worker's run as abandoned within seconds instead of minutes."""

from cs_platform.settings import *  # noqa: F403

SYNC_HEARTBEAT_SECONDS = 0.3
SYNC_STALE_AFTER_SECONDS = 1.5
