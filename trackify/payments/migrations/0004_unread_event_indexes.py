# Two indexes that nothing reads, dropped: every stored webhook event and every transition it records
# wrote one more index entry each (docs/performance.md). Nothing looks events up by their payment, nor
# history by its event, and neither a payment nor an event is ever deleted.
#
# Only the indexes are dropped. Django's own AlterField would also drop the foreign keys and add them
# again, and adding one checks every row of the table while writes to it wait.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0003_webhook_write_cost'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='paymentstatuschange',
                    name='webhook_event',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='payments.paymentwebhookevent'),
                ),
                migrations.AlterField(
                    model_name='paymentwebhookevent',
                    name='payment',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='webhook_events', to='payments.invoicepayment'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "payments_paymentstatuschange_webhook_event_id_310cdcf2"',
                    reverse_sql='CREATE INDEX "payments_paymentstatuschange_webhook_event_id_310cdcf2" '
                    'ON "payments_paymentstatuschange" ("webhook_event_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "payments_paymentwebhookevent_payment_id_caaf8b49"',
                    reverse_sql='CREATE INDEX "payments_paymentwebhookevent_payment_id_caaf8b49" '
                    'ON "payments_paymentwebhookevent" ("payment_id")',
                ),
            ],
        ),
    ]
