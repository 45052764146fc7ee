from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _install_version_triggers(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # After every migrate, like the list triggers: idempotent, survives table rebuilds.
    from portfolio.services.dashboard_cache import dashboard_version_triggers_install
    from portfolio.services.health_week_change import health_week_change_triggers_install
    from portfolio.services.overview_cache import overview_version_triggers_install
    from portfolio.services.satisfaction_rollup import satisfaction_rollup_triggers_install

    connection = connections[using]
    tables = connection.introspection.table_names()
    if "portfolio_accountdataversion" in tables:
        overview_version_triggers_install(connection)
    if "portfolio_dashboardwritepending" in tables:
        dashboard_version_triggers_install(connection)
    if "portfolio_healthweekchange" in tables:
        health_week_change_triggers_install(connection)
    if "portfolio_satisfactionmonth" in tables:
        satisfaction_rollup_triggers_install(connection)


class PortfolioConfig(AppConfig):
    """The top layer: what combines every app — the account 360 (page, overview, timeline),
    the portfolio list and the demo portfolio seed."""

    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self) -> None:
        post_migrate.connect(_install_version_triggers, sender=self)
