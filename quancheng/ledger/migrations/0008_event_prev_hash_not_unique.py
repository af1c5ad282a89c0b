"""Event.prev_hash loses its unique index (redundant: each prev_hash is the previous event's
unique hash, written in seq order by the one integrator and checked by verify_ledger); one
B-tree insert fewer per integrated event.

On SQLite Django drops a UNIQUE column constraint by rebuilding the table, which drops the
table's triggers with it (the append-only guard of migration 0003) and cannot rename the new
table while another table's trigger names it (the staged-event guard of 0006): both guards are
dropped before the rebuild and created again after it, in the migration's one transaction.
"""

import importlib

from django.db import migrations, models

EVENT_GUARD = importlib.import_module("quancheng.ledger.migrations.0003_append_only_triggers")
STAGED_GUARD = importlib.import_module("quancheng.ledger.migrations.0006_staged_events")


def _sqlite(*statement_lists):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statements in statement_lists:
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


DROP_GUARDS = _sqlite(STAGED_GUARD.SQLITE_DOWN, EVENT_GUARD.SQLITE_DOWN)
CREATE_GUARDS = _sqlite(EVENT_GUARD.SQLITE_UP, STAGED_GUARD.SQLITE_UP)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0007_entries_are_jcs"),
    ]

    operations = [
        migrations.RunPython(DROP_GUARDS, CREATE_GUARDS),
        migrations.AlterField(
            model_name="event",
            name="prev_hash",
            field=models.CharField(max_length=64),
        ),
        migrations.RunPython(CREATE_GUARDS, DROP_GUARDS),
    ]
