from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _install_list_triggers(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # After every migrate: SQLite drops a table's triggers when a migration rebuilds it.
    from customers.services.list_columns import list_triggers_install

    connection = connections[using]
    if "customers_portfoliorollup" in connection.introspection.table_names():
        list_triggers_install(connection)


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        post_migrate.connect(_install_list_triggers, sender=self)
