"""Helpers for hand-written SQL and migrations, against the real PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from cs_platform.core.migration_ops import _statement_timeout_off
from cs_platform.core.sql import pg_bigint_array

pytestmark = pytest.mark.django_db


def test_id_array_literal_binds_as_bigint_array():
    literal = pg_bigint_array([3, 1, 2])
    assert literal == "{3,1,2}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [literal])
        assert cursor.fetchone()[0] == [3, 1, 2]
        cursor.execute("SELECT %s::bigint[]", [pg_bigint_array([])])
        assert cursor.fetchone()[0] == []


def test_id_array_literal_refuses_anything_but_integers():
    with pytest.raises(ValueError):
        pg_bigint_array(["1}; DROP TABLE x; --"])


@pytest.mark.django_db(transaction=True)
def test_migration_statement_timeout_is_off_for_its_transaction_only():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    assert before != "0"  # the app's connections carry DB_STATEMENT_TIMEOUT_MS
    with transaction.atomic(), connection.schema_editor(atomic=False) as editor:
        _statement_timeout_off(None, editor)
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
