"""Default scorecard version 2: renewal proximity leaves health (it is urgency, not a
change in the customer); version 2 becomes the active default.

Version 1 stays stored (its snapshots point at it) and can be re-activated, or an operator
can create a version of their own with the measure
(``health.scoring.renewal_proximity_measure``). On a fresh database ``health.0003`` already
stored the current default, so this only makes sure it is the active one.
"""

from django.db import migrations


def activate_v2(apps, schema_editor):
    from health.scoring import default_scorecard

    Scorecard = apps.get_model("health", "Scorecard")
    definition = default_scorecard().to_dict()
    assert definition["version"] == 2, "the default changed again: store it in a new migration"
    card, _ = Scorecard.objects.get_or_create(
        key=definition["key"],
        version=definition["version"],
        defaults={"name": definition["name"], "definition": definition, "is_active": False},
    )
    if not Scorecard.objects.filter(key=card.key, is_active=True).exclude(version=1).exists():
        Scorecard.objects.filter(key=card.key, is_active=True).update(is_active=False)
        Scorecard.objects.filter(pk=card.pk).update(is_active=True)


def activate_v1(apps, schema_editor):
    Scorecard = apps.get_model("health", "Scorecard")
    if Scorecard.objects.filter(key="default", version=1).exists():
        Scorecard.objects.filter(key="default", is_active=True).update(is_active=False)
        Scorecard.objects.filter(key="default", version=1).update(is_active=True)


class Migration(migrations.Migration):
    dependencies = [("health", "0013_feedback_tags_and_product_insights")]

    operations = [migrations.RunPython(activate_v2, activate_v1)]
