from django.db import migrations

# On PostgreSQL the rows of the trail cannot be changed or removed by the application's
# role: a trigger refuses every UPDATE and DELETE (TRUNCATE is a table owner's act,
# outside the application's path; grants can refuse it too, see docs/OPERATIONS.md).
FORWARD = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS audit_append_only();
"""


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":  # SQLite: the embedded run
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the "%" of RAISE stays as written

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_checkpoint")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
