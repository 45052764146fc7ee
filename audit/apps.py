from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Sign-in, failed sign-in and sign-out events (audit.signals).
        from audit import signals  # noqa: F401
        from audit.metrics import collect_chain_check
        from cs_platform.core.telemetry.metrics import scrape_collector_register

        scrape_collector_register("audit_chain", collect_chain_check)
