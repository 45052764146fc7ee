from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Sign-in, failed sign-in and sign-out events (audit.signals).
        from audit import signals  # noqa: F401
