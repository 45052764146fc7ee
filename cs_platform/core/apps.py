from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cs_platform.core"
    label = "core"
    verbose_name = "Platform core"
