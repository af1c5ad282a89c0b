# The named lease moved to the ledger (ledger/0010): state only, the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0002_named_lease'),
        ('ledger', '0010_named_lease'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='NamedLease')],
            database_operations=[],
        ),
    ]
