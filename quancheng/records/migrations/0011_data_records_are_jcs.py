"""Prove that every data record's SHA-256 is reproduced by RFC 8785 (JCS) canonical JSON.

See ledger 0007: canonical JSON now comes from the `rfc8785` package. Each stored record's data
is re-encoded and re-hashed; the migration stops naming the record if a hash would differ.
Nothing is written.
"""

import hashlib

import rfc8785
from django.db import migrations


def check_records(apps, schema_editor):
    DataRecord = apps.get_model("records", "DataRecord")
    records = DataRecord.objects.using(schema_editor.connection.alias).only("id", "data", "sha256")
    for record in records.order_by("id").iterator(chunk_size=2000):
        if hashlib.sha256(rfc8785.dumps(record.data)).hexdigest() != record.sha256:
            raise RuntimeError(
                f"data record {record.id}: its SHA-256 is not reproduced by RFC 8785 canonical "
                "JSON; do not migrate: keep the previous release and report it"
            )


class Migration(migrations.Migration):
    dependencies = [("records", "0010_blob_sm3")]

    operations = [migrations.RunPython(check_records, migrations.RunPython.noop, elidable=True)]
