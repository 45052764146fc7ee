from django.db import migrations


def write_canary(apps, schema_editor):
    # Uses the real model class so the value is encrypted with the configured keys.
    from integrations.models import EncryptionCanary
    from integrations.probes import CANARY_PLAINTEXT

    EncryptionCanary.objects.using(schema_editor.connection.alias).update_or_create(
        pk=1, defaults={"value": CANARY_PLAINTEXT}
    )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]
    operations = [migrations.RunPython(write_canary, migrations.RunPython.noop)]
