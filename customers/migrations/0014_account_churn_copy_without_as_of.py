from django.db import migrations

# Triggers an earlier install left that write the column this migration drops. They are
# created again, without it, after the migration (health.apps post_migrate); dropping them
# first keeps a write during the migration, and SQLite's rebuild of the table, from
# running a body that names a missing column.
_PG = """
DROP FUNCTION IF EXISTS health_churn_on_prediction() CASCADE;
DROP FUNCTION IF EXISTS health_churn_on_pointer() CASCADE;
DROP FUNCTION IF EXISTS health_latest_on_pointer() CASCADE;
"""
_SQLITE = [
    f"DROP TRIGGER IF EXISTS health_churn_{kind}_{event}"
    for kind in ("prediction", "pointer")
    for event in ("insert", "update")
]


def _drop_copy_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG)
        elif connection.vendor == "sqlite":
            for statement in _SQLITE:
                cursor.execute(statement)


class Migration(migrations.Migration):
    """The account's churn copy loses its as_of (the latest pointer has it): the copy is
    now kept equal to the prediction at the pointer's as_of, so a recompute that moves no
    probability writes no account row."""

    dependencies = [
        ("customers", "0013_account_churn_calibration"),
    ]

    operations = [
        migrations.RunPython(_drop_copy_triggers, migrations.RunPython.noop),
        migrations.RemoveField(model_name="account", name="churn_as_of"),
    ]
