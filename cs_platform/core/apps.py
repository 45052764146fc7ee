from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cs_platform.core"
    label = "core"
    verbose_name = "Platform core"

    def ready(self) -> None:
        # signin and oauth.signals connect audit receivers (lock-outs, OAuth tokens
        # issued); schema registers the OpenAPI extension for bearer tokens.
        from cs_platform.core import signin  # noqa: F401
        from cs_platform.core.api import schema  # noqa: F401
        from cs_platform.core.oauth import signals  # noqa: F401
        from cs_platform.core.telemetry.metrics import scrape_collector_register
        from cs_platform.core.telemetry.queues import collect_queue_lengths

        scrape_collector_register("celery_queues", collect_queue_lengths)
