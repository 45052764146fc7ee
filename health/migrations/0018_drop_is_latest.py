# The flag is replaced by LatestHealthScore (0017 copied it there).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('health', '0017_latest_pointer'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='healthscore',
            name='health_one_latest',
        ),
        migrations.RemoveIndex(
            model_name='healthscore',
            name='health_latest_band',
        ),
        migrations.RemoveField(
            model_name='healthscore',
            name='is_latest',
        ),
    ]
