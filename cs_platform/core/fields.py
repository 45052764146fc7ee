"""Model fields shared across apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class JSONDocumentField(models.JSONField):
    """A JSON document written once and read whole: PostgreSQL ``json``, not ``jsonb``.

    ``jsonb`` parses every document into its binary form on write (numbers become
    ``numeric``): for health snapshots and churn predictions, written 100,000 at a time
    and never searched inside by SQL, that conversion was most of the database's write
    time (~60 µs per snapshot against ~7 µs for ``json``, which only validates the text).
    The price: no GIN index and no ``@>`` containment lookups on these columns; key
    lookups (``->``) still work. Other databases keep Django's JSONField storage.
    """

    description = "A JSON document (PostgreSQL json)"

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # psycopg already decodes ``json`` columns (Django only turns that off for jsonb).
        if value is not None and not isinstance(value, str):
            return value
        return super().from_db_value(value, expression, connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        from psycopg.types.json import Json

        if not prepared:
            value = self.get_prep_value(value)
        if hasattr(value, "as_sql"):  # an expression, e.g. Value(None, JSONField())
            return value
        return Json(value)


class StampField(models.DateTimeField):
    """``auto_now``/``auto_now_add`` stamped from the project clock (``core.clock``), so a
    test or CI run that moves "today" sees creation and update times on the same date as
    everything else. Same column as ``DateTimeField``."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            from cs_platform.core import clock

            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)
