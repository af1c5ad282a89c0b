"""Migration 0012 deletes the stored leaves; reversing it recomputes them from the events."""

import importlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint
from quancheng.ledger.models import Event, SubtreeHash
from quancheng.ledger.services import record_event
from quancheng.ledger.tree import (
    consistency_proof_between,
    inclusion_proof_for,
    leaf_hash_of,
    tree_root,
)
from quancheng.ledger.verify import verify_ledger
from quancheng.lib import merkle

from . import tamper

migration = importlib.import_module("quancheng.ledger.migrations.0012_no_leaf_rows")
AFTER = [("ledger", "0012_no_leaf_rows")]
BEFORE = [("ledger", migration.Migration.dependencies[0][1])]
TRIGGERS = ("ledger_subtreehash_no_delete", "ledger_subtreehash_no_update")


@pytest.fixture(autouse=True)
def _own_key(own_ledger_key):
    """Each test generates its own embedded-default key (conftest.own_ledger_key)."""


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _triggers():
    """The definitions of the table's append-only triggers, and whether they are enabled."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'ledger_subtreehash'::regclass AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name, sql, 1 FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'ledger_subtreehash'"
            )
        return sorted(cursor.fetchall())


def _proofs(size):
    return (
        tree_root(size),
        [inclusion_proof_for(seq, size) for seq in range(1, size + 1)],
        [consistency_proof_between(old, size) for old in range(1, size + 1)],
    )


def _log(count):
    with transaction.atomic(durable=True):
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


# Migrating in a test needs a transactional test (SQLite's schema editor refuses to run in a
# transaction); the ledger's rows are removed at the end, triggers set aside, so that the flush
# after the test (which cannot delete append-only rows) finds nothing of them.
@pytest.mark.django_db(transaction=True)
def test_the_leaf_rows_go_and_come_back_and_the_ledger_answers_the_same():
    try:
        _migrate(BEFORE)
        _log(6)
        make_checkpoint()  # size 6, its event is #7
        _log(6)
        size = Event.objects.count()
        assert size == 13
        leaves = [leaf_hash_of(e) for e in Event.objects.order_by("seq")]
        assert not SubtreeHash.objects.filter(level=0).exists()  # written by today's code
        nodes = sorted(SubtreeHash.objects.values_list("level", "index", "hash"))
        answers = _proofs(size)
        assert answers[0] == merkle.root_hash(leaves)
        triggers = _triggers()
        assert [t[0] for t in triggers] == sorted(TRIGGERS)

        # Reversed: the level-0 rows, as appends once stored them (2n - popcount(n) rows).
        _migrate(AFTER)
        _migrate(BEFORE)
        stored = dict(
            SubtreeHash.objects.filter(level=0).values_list("index", "hash").order_by("index")
        )
        assert stored == {i: leaf.hex() for i, leaf in enumerate(leaves)}
        assert SubtreeHash.objects.count() == 2 * size - size.bit_count()
        assert _triggers() == triggers

        # A ledger written before: migrated, its leaf rows go, nothing else changes.
        _migrate(AFTER)
        assert not SubtreeHash.objects.filter(level=0).exists()
        assert sorted(SubtreeHash.objects.values_list("level", "index", "hash")) == nodes
        assert _triggers() == triggers  # the same guard, enabled again
        report = verify_ledger()
        assert report.ok, report.problems
        assert report.size == size and report.checkpoints == 1
        assert _proofs(size) == answers
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_subtreehash WHERE level = 1")
    finally:
        _migrate(AFTER)
        with tamper.triggers_off():
            for table in ("ledger_subtreehash", "ledger_checkpoint", "ledger_event"):
                tamper.sql(f"DELETE FROM {table}")  # noqa: S608
