"""Operations shared by migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _statement_timeout_off(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL statement_timeout = 0")


def no_statement_timeout() -> migrations.RunPython:
    """First operation of a migration that rewrites a large table: the app's connections
    carry ``DB_STATEMENT_TIMEOUT_MS`` (30 s), which would cancel a rewrite of millions of
    rows half-way. ``SET LOCAL`` lasts for the migration's own transaction only."""
    return migrations.RunPython(_statement_timeout_off, migrations.RunPython.noop, elidable=True)
