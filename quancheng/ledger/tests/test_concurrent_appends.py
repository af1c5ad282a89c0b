"""Parallel writers on PostgreSQL never fork the chain nor the Merkle tree."""

import threading

import pytest
from django.db import connection, connections

from quancheng.ledger.actions import Action
from quancheng.ledger.integrator import integrate_pending
from quancheng.ledger.models import Event, LedgerHead, StagedEvent, SubtreeHash
from quancheng.ledger.services import record_atomic, verify_chain
from quancheng.ledger.tree import leaf_hash_of, tree_root
from quancheng.lib import merkle

WRITERS = 8
EVENTS_EACH = 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises writers itself)")
    start = threading.Barrier(WRITERS)
    failures = []

    def write(writer):
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                record_atomic(
                    None,
                    Action.JOB_RETRIED,
                    None,
                    {"writer": writer, "i": i},
                    object_type="test",
                    object_id=str(writer),
                )
        except Exception as e:
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    # A commit's own integration gives way when another batch is running (it never waits), so
    # an event committed during the last batch stays staged for the standing integrator, which
    # this test plays here.
    integrate_pending("test", wait=True, keep=False)
    assert not StagedEvent.objects.exists()
    events = list(Event.objects.order_by("seq"))
    assert len(events) == WRITERS * EVENTS_EACH
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.prev_hash for e in events}) == len(events)
    assert verify_chain() is None
    # The Merkle tree grew with the chain: the stored root is the root over all leaves.
    leaves = [leaf_hash_of(e) for e in events]
    assert tree_root(len(events)) == merkle.root_hash(leaves)
    head = LedgerHead.objects.get()
    compact = merkle.CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    assert compact.root() == merkle.root_hash(leaves)
    # One row per completed aligned subtree of two leaves or more: n - popcount(n).
    assert SubtreeHash.objects.count() == len(leaves) - len(leaves).bit_count()
