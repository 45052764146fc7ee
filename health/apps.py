from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _install_latest_triggers(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # After every migrate, like the customers app's list triggers (SQLite rebuilds drop them).
    from health.services.churn_columns import churn_columns_triggers_install
    from health.services.latest_columns import health_latest_triggers_install

    connection = connections[using]
    tables = connection.introspection.table_names()
    if "health_latesthealthscore" in tables:
        health_latest_triggers_install(connection)
    if "health_churnprediction" in tables and "health_latesthealthscore" in tables:
        churn_columns_triggers_install(connection)


class HealthConfig(AppConfig):
    name = "health"
    verbose_name = "Health, usage and voice of customer"

    def ready(self) -> None:
        post_migrate.connect(_install_latest_triggers, sender=self)

        # Mixpanel's raw events become health's daily usage and feature adoption; the
        # integrations sync framework runs the stream (see integrations.services.syncs.streams).
        from health.services.mixpanel_usage import sync_events
        from integrations.services.syncs.streams import stream_register

        stream_register("mixpanel", "events", sync_events)

        from cs_platform.core.telemetry.metrics import scrape_collector_register
        from health.metrics import collect_recompute_state

        scrape_collector_register("health_recompute", collect_recompute_state)
