"""Data records get the SM3 of their canonical JSON beside its SHA-256 (docs/national-crypto.md).

The records stored before are backfilled here from their stored data: re-canonicalised, checked
against the recorded SHA-256, then given their SM3, each a ``datarecord.sm3_computed`` ledger
event (``records.sm3.backfill_data_records``). The events are staged through the ledger service,
so this migration runs after the ledger's staging tables exist.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    from quancheng.records.sm3 import backfill_data_records

    backfill_data_records(apps.get_model("records", "DataRecord"))


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0011_data_records_are_jcs"),
        ("ledger", "0009_signing_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="datarecord",
            name="sm3",
            field=models.CharField(blank=True, max_length=64, verbose_name="SM3"),
        ),
        # The SM3s go in; reversing leaves the field to be dropped (the events stay on record).
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
