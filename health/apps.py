from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    verbose_name = "Health, usage and voice of customer"

    def ready(self) -> None:
        # Mixpanel's raw events become health's daily usage and feature adoption; the
        # integrations sync framework runs the stream (see integrations.services.syncs.streams).
        from health.services.mixpanel_usage import sync_events
        from integrations.services.syncs.streams import stream_register

        stream_register("mixpanel", "events", sync_events)

        from cs_platform.core.telemetry.metrics import scrape_collector_register
        from health.metrics import collect_recompute_state

        scrape_collector_register("health_recompute", collect_recompute_state)
