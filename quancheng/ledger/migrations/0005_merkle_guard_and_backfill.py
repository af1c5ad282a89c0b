"""Append-only guard for the Merkle tree's subtree hashes and the signed checkpoints (as 0003
does for events), and the tree built over the events already in the log."""

from django.db import migrations

from quancheng.ledger.models import event_entry
from quancheng.lib.canonical import canonical_bytes
from quancheng.lib.merkle import CompactRange, leaf_hash

TABLES = ["ledger_subtreehash", "ledger_checkpoint"]

POSTGRES_UP = "".join(
    f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION ledger_event_append_only();
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION ledger_event_append_only();
"""
    for table in TABLES
)
POSTGRES_DOWN = "".join(
    f"""
DROP TRIGGER IF EXISTS {table}_no_update ON {table};
DROP TRIGGER IF EXISTS {table}_no_delete ON {table};
"""
    for table in TABLES
)
SQLITE_UP = [
    sql
    for table in TABLES
    for sql in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END;""",
    )
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_{op};" for table in TABLES for op in ("no_update", "no_delete")
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no append-only guard for {schema_editor.connection.vendor}")
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


def build_tree(apps, schema_editor):
    """Subtree hashes and the head's frontier for the events logged before the tree existed."""
    Event = apps.get_model("ledger", "Event")
    SubtreeHash = apps.get_model("ledger", "SubtreeHash")
    LedgerHead = apps.get_model("ledger", "LedgerHead")
    compact = CompactRange()
    batch = []
    for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != compact.size + 1:
            raise RuntimeError(f"ledger has a gap before event #{event.seq}; verify the chain")
        for subtree in compact.append(leaf_hash(canonical_bytes(event_entry(event)))):
            batch.append(SubtreeHash(level=subtree.level, index=subtree.index, hash=subtree.hash.hex()))
        if len(batch) >= 2000:
            SubtreeHash.objects.bulk_create(batch)
            batch = []
    SubtreeHash.objects.bulk_create(batch)
    if compact.size:
        LedgerHead.objects.filter(id=1).update(frontier=[s.hash.hex() for s in compact.frontier])


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_merkle_and_checkpoints")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": [POSTGRES_UP], "sqlite": SQLITE_UP}),
            _run({"postgresql": [POSTGRES_DOWN], "sqlite": SQLITE_DOWN}),
        ),
        migrations.RunPython(build_tree, migrations.RunPython.noop),
    ]
