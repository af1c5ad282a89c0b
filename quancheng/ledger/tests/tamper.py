"""Tampering with the ledger in SQL, as someone with database access could, for the tests.

The append-only triggers are dropped for the duration and re-created afterwards (the test's
transaction rolls everything back anyway).
"""

import contextlib
import importlib
import json

from django.db import connection

from quancheng.ledger.fields import to_digest
from quancheng.ledger.models import Event, SubtreeHash, event_entry
from quancheng.lib.canonical import canonical_bytes
from quancheng.lib.merkle import CompactRange, leaf_hash

_events_guard = importlib.import_module("quancheng.ledger.migrations.0003_append_only_triggers")
_tree_guard = importlib.import_module("quancheng.ledger.migrations.0005_merkle_guard_and_backfill")


def _execute(statements):
    if isinstance(statements, str):
        statements = [statements]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@contextlib.contextmanager
def triggers_off():
    """Drop the append-only triggers on the ledger tables, and re-create them on exit."""
    if connection.vendor == "postgresql":
        _execute(_tree_guard.POSTGRES_DOWN)
        _execute(_events_guard.POSTGRES_DOWN)
    else:
        _execute(_tree_guard.SQLITE_DOWN)
        _execute(_events_guard.SQLITE_DOWN)
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            _execute(_events_guard.POSTGRES_UP)
            _execute(_tree_guard.POSTGRES_UP)
        else:
            _execute(_events_guard.SQLITE_UP)
            _execute(_tree_guard.SQLITE_UP)


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def edit_body(seq: int, body: dict) -> None:
    """Change an event's body in place, leaving its stored hash as it was."""
    with triggers_off():
        sql("UPDATE ledger_event SET body = %s WHERE seq = %s", [json.dumps(body), seq])


def delete_event(seq: int) -> None:
    with triggers_off():
        sql("DELETE FROM ledger_event WHERE seq = %s", [seq])


def swap_events(a: int, b: int) -> None:
    """Swap two rows' places in the log: each takes the other's seq."""
    with triggers_off():
        sql("UPDATE ledger_event SET seq = %s WHERE seq = %s", [-1, a])
        sql("UPDATE ledger_event SET seq = %s WHERE seq = %s", [a, b])
        sql("UPDATE ledger_event SET seq = %s WHERE seq = %s", [b, -1])


def alter_node(level: int, index: int, digest: str | bytes = "ab" * 32) -> None:
    """Replace a stored Merkle node's hash (levels >= 1: leaves are not stored)."""
    with triggers_off():
        sql(
            'UPDATE ledger_subtreehash SET hash = %s WHERE level = %s AND "index" = %s',
            [to_digest(digest), level, index],
        )


def delete_node(level: int, index: int) -> None:
    with triggers_off():
        sql('DELETE FROM ledger_subtreehash WHERE level = %s AND "index" = %s', [level, index])


def update_checkpoint_note(size: int, signed_note: str) -> None:
    with triggers_off():
        sql(
            "UPDATE ledger_checkpoint SET signed_note = %s WHERE size = %s",
            [signed_note, size],
        )


def roll_back_to(size: int) -> None:
    """Cut the log back to ``size`` events, tree and head included, as a restored backup
    would; the checkpoints made after it stay. Appending afterwards forks the log."""
    with triggers_off():
        sql("DELETE FROM ledger_event WHERE seq > %s", [size])
        # Subtree (level, index) covers events index·2^level + 1 .. (index+1)·2^level.
        for row in SubtreeHash.objects.all():
            if (row.index + 1) << row.level > size:
                sql(
                    'DELETE FROM ledger_subtreehash WHERE level = %s AND "index" = %s',
                    [row.level, row.index],
                )
        tree = CompactRange()
        last_hash = "0" * 64
        for event in Event.objects.order_by("seq"):
            tree.append(leaf_hash(canonical_bytes(event_entry(event))))
            last_hash = event.hash
        sql(
            "UPDATE ledger_ledgerhead SET seq = %s, hash = %s, frontier = %s WHERE id = 1",
            [size, last_hash, json.dumps([s.hash.hex() for s in tree.frontier])],
        )
