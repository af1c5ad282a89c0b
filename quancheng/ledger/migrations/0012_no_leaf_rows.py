"""The Merkle tree's leaves are no longer stored: the level-0 rows of ``ledger_subtreehash`` go.

A leaf is ``leaf_hash(event.entry_bytes())``: the event row is its source, so ledger/tree.py
computes it from the event whenever a proof or root needs it, and appends store levels >= 1
only. This deletes the level-0 rows written before (half the table's rows and of its indexes).

The table is append-only (0005's triggers): only for this delete, inside this migration's
transaction, its delete guard is set aside and then restored exactly as it was - on PostgreSQL
disabled and enabled again, on SQLite dropped and re-created from its own stored definition.
Reversing recomputes the level-0 rows from the events.

PostgreSQL keeps the deleted rows' space in the table and its indexes until they are rewritten
(``VACUUM FULL ledger_subtreehash`` or ``REINDEX TABLE``, outside a transaction, at a quiet time):
docs/ledger.md.
"""

from django.db import migrations

from quancheng.ledger.entry import entry_bytes, staged_content
from quancheng.lib.merkle import leaf_hash

TABLE = "ledger_subtreehash"
TRIGGER = "ledger_subtreehash_no_delete"
CHUNK = 5000


def delete_leaf_rows(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
            cursor.execute(f"DELETE FROM {TABLE} WHERE level = 0")  # noqa: S608
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [TRIGGER]
            )
            row = cursor.fetchone()
            if row is None:
                raise RuntimeError(f"{TRIGGER} is missing: the table's append-only guard")
            cursor.execute(f"DROP TRIGGER {TRIGGER}")
            cursor.execute(f"DELETE FROM {TABLE} WHERE level = 0")  # noqa: S608
            cursor.execute(row[0])  # the same trigger, from its own definition
        else:
            raise RuntimeError(f"no append-only guard for {connection.vendor}")


def restore_leaf_rows(apps, schema_editor):
    """The level-0 rows (0, seq - 1, leaf of the entry) of every event, as appends once wrote."""
    Event = apps.get_model("ledger", "Event")
    SubtreeHash = apps.get_model("ledger", "SubtreeHash")
    db = schema_editor.connection.alias
    batch = []
    for event in Event.objects.using(db).order_by("seq").iterator(chunk_size=CHUNK):
        leaf = leaf_hash(entry_bytes(staged_content(event), event.seq, event.prev_hash))
        batch.append(SubtreeHash(level=0, index=event.seq - 1, hash=leaf.hex()))
        if len(batch) >= CHUNK:
            SubtreeHash.objects.using(db).bulk_create(batch)
            batch = []
    SubtreeHash.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0011_hashes_as_bytes")]

    operations = [migrations.RunPython(delete_leaf_rows, restore_leaf_rows)]
