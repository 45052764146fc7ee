"""Store the default scorecard (key ``default``, version 1) as the active scorecard.

The definition is the pure library's ``default_scorecard()``; version 1's content is fixed
from here on: a changed default is a new version in a new migration, so snapshots keep
pointing at the definition that scored them.
"""

from django.db import migrations


def store_default_scorecard(apps, schema_editor):
    from health.scoring import default_scorecard

    Scorecard = apps.get_model("health", "Scorecard")
    definition = default_scorecard().to_dict()
    card, created = Scorecard.objects.get_or_create(
        key=definition["key"],
        version=definition["version"],
        defaults={"name": definition["name"], "definition": definition, "is_active": True},
    )
    if not created and not Scorecard.objects.filter(key=card.key, is_active=True).exists():
        Scorecard.objects.filter(pk=card.pk).update(is_active=True)


def remove_default_scorecard(apps, schema_editor):
    Scorecard = apps.get_model("health", "Scorecard")
    Scorecard.objects.filter(key="default", version=1, snapshots__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("health", "0002_churn_prediction_unique")]

    operations = [migrations.RunPython(store_default_scorecard, remove_default_scorecard)]
