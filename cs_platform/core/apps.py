from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cs_platform.core"
    label = "core"
    verbose_name = "Platform core"

    def ready(self) -> None:
        # Registers the OpenAPI extension for bearer tokens.
        from cs_platform.core.api import schema  # noqa: F401
