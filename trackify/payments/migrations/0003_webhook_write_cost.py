# The webhook event's config needs no index of its own: (config, received_at) serves lookups by config.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_reliability'),
    ]

    operations = [
        migrations.AlterField(
            model_name='paymentwebhookevent',
            name='config',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='webhook_events', to='payments.paymentgatewayconfig'),
        ),
    ]
