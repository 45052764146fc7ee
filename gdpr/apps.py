from django.apps import AppConfig


class GdprConfig(AppConfig):
    name = "gdpr"
    verbose_name = "GDPR"

    def ready(self) -> None:
        from cs_platform.core.telemetry.metrics import scrape_collector_register
        from gdpr.metrics import collect_requests

        scrape_collector_register("gdpr_requests", collect_requests)
