"""Backup and restore as docs/OPERATIONS.md says: ``pg_dump -Fc`` of the running, seeded
database, ``pg_restore`` into an empty one; the restore passes ``verify_audit_chain``,
every table holds the same number of rows, and the app serves from it."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.operations.fixtures import Stack

pytestmark = pytest.mark.operations


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
    ]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_pg_dump_and_pg_restore_give_a_verified_audit_chain_and_equal_counts(
    stack: Stack, tmp_path
):
    pg = stack.postgres
    dump = tmp_path / "cs_platform.dump"
    source = stack.app.database_url
    # The workers keep writing: count rows in the very snapshot pg_dump copies.
    with psycopg.connect(source) as snapshot:
        snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot_id = snapshot.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts_at_dump = _row_counts(snapshot)
        with dump.open("wb") as out:
            subprocess.run([pg.tool("pg_dump"), "-Fc", f"--snapshot={snapshot_id}", "-d", source],
                           stdout=out, check=True, timeout=120)  # fmt: skip
    restored = pg.create_database("cs_platform_restored")
    subprocess.run(
        [pg.tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip

    with psycopg.connect(restored, autocommit=True) as conn:
        restored_counts = _row_counts(conn)
    assert restored_counts["audit_auditevent"] > 0 and restored_counts["customers_account"] == 300
    assert restored_counts == counts_at_dump

    env = stack.app.production(DATABASE_URL=restored)
    out = stack.app.manage("verify_audit_chain", env=env)
    assert f"audit chain ok: {restored_counts['audit_auditevent']} events" in out
    # The restored database is migrated and its stored secrets decrypt with the same keys.
    stack.app.manage("migrate", "--check", env=env)
    check = stack.app.manage(
        "shell", "-c",
        "from integrations.probes import check_encryption_canary; print(check_encryption_canary())",
        env=env,
    )  # fmt: skip
    assert "(True, 'ok')" in check
