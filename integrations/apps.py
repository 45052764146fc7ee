from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations and support"

    def ready(self) -> None:
        from cs_platform.core.telemetry.metrics import scrape_collector_register
        from gdpr.providers import provider_eraser_register
        from integrations.metrics import collect_breakers, collect_sync_state
        from integrations.services.provider_erasure import provider_copies_delete

        scrape_collector_register("sync_state", collect_sync_state)
        scrape_collector_register("breakers", collect_breakers)
        # An erasure deletes (or lists for deletion by hand) the providers' copies.
        provider_eraser_register("integrations", provider_copies_delete)
