from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Events hash the actor's label, not its id (a deleted user no longer rewrites old
    rows): `hash_version` says which form each row's hash has; existing rows keep 1."""

    dependencies = [
        ("audit", "0002_chain_check"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="How the hash was computed (audit.services.CHAIN_VERSION)"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
