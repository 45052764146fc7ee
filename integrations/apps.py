from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations and support"

    def ready(self) -> None:
        from cs_platform.core.telemetry.metrics import scrape_collector_register
        from integrations.metrics import collect_breakers, collect_sync_state

        scrape_collector_register("sync_state", collect_sync_state)
        scrape_collector_register("breakers", collect_breakers)
