"""The two unique constraints with INCLUDE columns also exist on SQLite (key columns only).

Django never created ``usage_one_row_per_day`` and ``health_one_latest`` on SQLite (no
covering indexes), so the embedded mode's upserts on them failed. They become
``CoveringUniqueConstraint`` (cs_platform/core/constraints.py): on PostgreSQL the same
index as before, so nothing is rebuilt there; on SQLite a unique index over the key
columns is created here.
"""

from django.db import migrations, models

import cs_platform.core.constraints

USAGE_ONE_ROW_PER_DAY = cs_platform.core.constraints.CoveringUniqueConstraint(
    fields=("account", "date"), include=("active_users",), name="usage_one_row_per_day"
)
HEALTH_ONE_LATEST = cs_platform.core.constraints.CoveringUniqueConstraint(
    condition=models.Q(("is_latest", True)),
    fields=("account",),
    include=("as_of",),
    name="health_one_latest",
)
CONSTRAINTS = (("usagedaily", USAGE_ONE_ROW_PER_DAY), ("healthscore", HEALTH_ONE_LATEST))


def create_where_never_created(apps, schema_editor):
    if schema_editor.connection.features.supports_covering_indexes:
        return  # PostgreSQL: the index exists and is already what the new state says
    for model_name, constraint in CONSTRAINTS:
        schema_editor.add_constraint(apps.get_model("health", model_name), constraint)


def drop_where_created_here(apps, schema_editor):
    if schema_editor.connection.features.supports_covering_indexes:
        return
    for model_name, constraint in CONSTRAINTS:
        schema_editor.remove_constraint(apps.get_model("health", model_name), constraint)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_timestamps_from_project_clock"),
        ("health", "0009_timestamps_from_project_clock"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="usagedaily", name="usage_one_row_per_day"),
                migrations.AddConstraint(model_name="usagedaily", constraint=USAGE_ONE_ROW_PER_DAY),
                migrations.RemoveConstraint(model_name="healthscore", name="health_one_latest"),
                migrations.AddConstraint(model_name="healthscore", constraint=HEALTH_ONE_LATEST),
            ],
            database_operations=[
                migrations.RunPython(create_where_never_created, drop_where_created_here),
            ],
        ),
    ]
