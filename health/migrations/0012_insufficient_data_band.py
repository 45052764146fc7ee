from django.db import migrations, models

# Snapshots already stored were banded without the coverage floor: a score resting on less
# than the scorecard's min_coverage (0.6 when the definition does not set one) becomes
# insufficient_data, in the column and in the stored result. An applied manual override
# keeps its band (a person's judgement, not a data-backed score); its computed band moves.
_FLOOR = """
    (SELECT COALESCE((c.definition->'score_bands'->>'min_coverage')::numeric, 0.6)
       FROM health_scorecard c WHERE c.id = s.scorecard_id)
"""
REBAND = f"""
UPDATE health_healthscore s
   SET band = 'insufficient_data',
       result = jsonb_set(jsonb_set(s.result::jsonb, '{{band}}', '"insufficient_data"'),
                          '{{computed_band}}', '"insufficient_data"')::json
 WHERE s.override_id IS NULL AND s.computed_score IS NOT NULL AND s.coverage < {_FLOOR};
UPDATE health_healthscore s
   SET result = jsonb_set(s.result::jsonb, '{{computed_band}}', '"insufficient_data"')::json
 WHERE s.override_id IS NOT NULL AND s.computed_score IS NOT NULL AND s.coverage < {_FLOOR};
"""


def reband(apps, schema_editor):
    # PostgreSQL only: the rewrite uses jsonb_set. A SQLite database (make run) is seeded
    # after migrating, so it has no snapshot banded the old way to rewrite.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REBAND)


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0011_monitor_run_queued"),
    ]

    operations = [
        migrations.AlterField(
            model_name="healthscore",
            name="band",
            field=models.CharField(
                choices=[
                    ("green", "Green"),
                    ("yellow", "Yellow"),
                    ("red", "Red"),
                    ("unknown", "Unknown (no data)"),
                    ("insufficient_data", "Insufficient data"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(reband, migrations.RunPython.noop),
    ]
