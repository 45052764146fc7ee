"""A unique constraint with INCLUDE columns that stays a unique constraint everywhere.

Django's ``UniqueConstraint(include=...)`` is not created at all on a database without
covering indexes (SQLite): the embedded mode then has no unique key, and every
``INSERT … ON CONFLICT`` on it fails ("ON CONFLICT clause does not match any PRIMARY KEY
or UNIQUE constraint"). ``CoveringUniqueConstraint`` is the same constraint with the same
SQL on PostgreSQL; where covering indexes are missing it is created over its key columns
only. The INCLUDE columns are a read optimisation (index-only scans); uniqueness, which
the code relies on, is the same on both.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core import checks
from django.db.models import UniqueConstraint


class CoveringUniqueConstraint(UniqueConstraint):
    def _for(self, schema_editor: Any) -> UniqueConstraint:
        if schema_editor.connection.features.supports_covering_indexes:
            return self
        key_only = copy.copy(self)
        key_only.include = ()
        return key_only

    def constraint_sql(self, model: Any, schema_editor: Any) -> str | None:
        if schema_editor.connection.features.supports_covering_indexes:
            return super().constraint_sql(model, schema_editor)
        # Always a named unique index (never an inline table constraint), so that
        # remove_sql's DROP INDEX finds it whichever way it was created.
        sql = self.create_sql(model, schema_editor)
        if sql is not None:
            schema_editor.deferred_sql.append(sql)
        return None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        constraint = self._for(schema_editor)
        return UniqueConstraint.create_sql(constraint, model, schema_editor)

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return UniqueConstraint.remove_sql(self._for(schema_editor), model, schema_editor)

    def _check(self, model: Any, connection: Any) -> list[checks.CheckMessage]:
        # Django warns (models.W039) that the constraint "won't be created" without
        # covering indexes; this one is, over its key columns.
        return [
            error
            for error in super()._check(model, connection)
            if getattr(error, "id", None) != "models.W039"
        ]

    def __eq__(self, other: object) -> bool:
        # Unequal to a plain UniqueConstraint, so migrations record which one a table has.
        return type(other) is type(self) and super().__eq__(other)
