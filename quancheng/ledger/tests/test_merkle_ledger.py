"""The events' Merkle tree: stored subtree hashes, roots and proofs in O(log n) reads."""

import math

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from quancheng.ledger.actions import Action
from quancheng.ledger.models import Event, LedgerHead, LedgerIsAppendOnly, SubtreeHash
from quancheng.ledger.services import record_atomic, record_event
from quancheng.ledger.tree import (
    MissingSubtree,
    consistency_proof_between,
    inclusion_proof_for,
    leaf_hash_of,
    tree_root,
    tree_size,
)
from quancheng.lib import merkle

from . import tamper

pytestmark = pytest.mark.django_db


def _log(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def _all_leaves():
    return [leaf_hash_of(e) for e in Event.objects.order_by("seq")]


def test_the_stored_root_is_the_rfc_root_over_all_events():
    for _ in range(3):
        _log(7)
        leaves = _all_leaves()
        assert tree_size() == len(leaves)
        assert tree_root() == merkle.root_hash(leaves)
        for size in range(len(leaves) + 1):
            assert tree_root(size) == merkle.root_hash(leaves[:size])


def test_the_head_keeps_the_compact_range_and_every_node_above_the_leaves_is_stored():
    _log(13)
    head = LedgerHead.objects.get()
    leaves = _all_leaves()
    compact = merkle.CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    assert compact.root() == merkle.root_hash(leaves)
    stored = dict(
        ((level, index), digest)
        for level, index, digest in SubtreeHash.objects.values_list("level", "index", "hash")
    )
    memory = merkle.InMemorySource(leaves)
    expected = {}
    for level in range(1, len(leaves).bit_length()):
        for index in range(len(leaves) >> level):
            start, end = index << level, (index + 1) << level
            expected[(level, index)] = memory.subtree_hash(start, end).hex()
    # Exactly the aligned subtrees of two leaves or more, n - popcount(n) rows: no leaf rows.
    assert stored == expected
    assert len(stored) == len(leaves) - len(leaves).bit_count()
    assert not SubtreeHash.objects.filter(level=0).exists()


def test_every_event_has_an_inclusion_proof_that_verifies():
    _log(20)
    events = list(Event.objects.order_by("seq"))
    size = len(events)
    root = tree_root(size)
    for older_size in (1, size // 2, size):
        older_root = tree_root(older_size)
        for event in events[:older_size]:
            proof = inclusion_proof_for(event.seq, older_size)
            merkle.verify_inclusion(
                leaf_hash_of(event), event.seq - 1, older_size, proof, older_root
            )
    for event in events:
        merkle.verify_inclusion(
            leaf_hash_of(event), event.seq - 1, size, inclusion_proof_for(event.seq, size), root
        )


def test_proofs_and_roots_are_those_of_the_rfc_tree_at_odd_sizes_first_and_last_leaf():
    """Leaves are computed from the events, never read from stored rows: every answer is still
    exactly quancheng.lib.merkle's over the leaves held in memory."""
    _log(33)
    memory = merkle.InMemorySource(_all_leaves())
    for size in (1, 2, 3, 5, 7, 11, 13, 31, 32, 33):
        assert tree_root(size) == merkle.root_from_source(memory, size)
        for seq in sorted(n for n in {1, 2, size // 2 + 1, size - 1, size} if 1 <= n <= size):
            assert inclusion_proof_for(seq, size) == merkle.inclusion_proof(memory, seq - 1, size)
        for old in sorted(n for n in {1, 2, size // 2, size - 1, size} if 1 <= n <= size):
            assert consistency_proof_between(old, size) == merkle.consistency_proof(
                memory, old, size
            )
    # The first and the last leaf are read from their events: a lost event is a lost leaf.
    with tamper.triggers_off():
        tamper.sql("DELETE FROM ledger_event WHERE seq = 33")
    with pytest.raises(MissingSubtree, match="no event #33 for the leaf at level 0, index 32"):
        inclusion_proof_for(32, 33)


def test_consistency_proofs_between_any_two_sizes_verify():
    _log(18)
    size = tree_size()
    roots = [tree_root(n) for n in range(size + 1)]
    for old in range(1, size + 1):
        for new in range(old, size + 1):
            proof = consistency_proof_between(old, new)
            merkle.verify_consistency(old, new, proof, roots[old], roots[new])


def test_an_edited_event_no_longer_proves_its_inclusion():
    _log(10)
    size = tree_size()
    root = tree_root(size)
    event = Event.objects.get(seq=5)
    proof = inclusion_proof_for(5, size)
    event.body = '{"i":999}'
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf_hash_of(event), 4, size, proof, root)


def test_sizes_beyond_the_log_are_refused():
    _log(3)
    size = tree_size()
    with pytest.raises(ValueError, match="is not between 0 and"):
        tree_root(size + 1)
    with pytest.raises(ValueError, match="is not between 0 and"):
        inclusion_proof_for(1, size + 1)
    with pytest.raises(ValueError, match="is not between 0 and"):
        consistency_proof_between(1, size + 1)


def test_a_lost_subtree_row_is_reported_not_recomputed():
    _log(8)
    drop = "DROP TRIGGER ledger_subtreehash_no_delete"
    if connection.vendor == "postgresql":
        drop += " ON ledger_subtreehash"
    with connection.cursor() as cursor:
        cursor.execute(drop)  # inside the test's transaction: rolled back afterwards
        cursor.execute('DELETE FROM ledger_subtreehash WHERE level = 3 AND "index" = 0')
    with pytest.raises(MissingSubtree, match="level 3, index 0"):
        tree_root(8)


def test_subtree_hashes_are_append_only_in_the_application_and_the_database():
    _log(2)
    row = SubtreeHash.objects.first()
    with pytest.raises(LedgerIsAppendOnly):
        row.save()
    with pytest.raises(LedgerIsAppendOnly):
        row.delete()
    with pytest.raises(LedgerIsAppendOnly):
        SubtreeHash.objects.all().update(hash="0" * 64)
    for sql in (
        "UPDATE ledger_subtreehash SET hash = 'x'",
        "DELETE FROM ledger_subtreehash",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert SubtreeHash.objects.count() > 0


def test_proofs_read_a_logarithmic_number_of_rows_in_few_queries():
    n = 1000
    with transaction.atomic():
        for i in range(n):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="t", object_id=str(i)
            )
    size = tree_size()
    assert size >= n
    bound = 2 * math.log2(size) + 2
    with CaptureQueriesContext(connection) as queries:
        root = tree_root(size)
    assert len(queries) <= 2
    for seq in (1, 2, size // 3, size // 2 + 1, size - 1, size):
        with CaptureQueriesContext(connection) as queries:
            proof = inclusion_proof_for(seq, size)
        assert len(queries) <= 2, [q["sql"] for q in queries]
        assert len(proof) <= bound
        event = Event.objects.get(seq=seq)
        merkle.verify_inclusion(leaf_hash_of(event), seq - 1, size, proof, root)
    for old in (1, 17, size // 2, size - 3):
        with CaptureQueriesContext(connection) as queries:
            proof = consistency_proof_between(old, size)
        assert len(queries) <= 2
        # The subtree rows fetched: never more than about 2·log2(n).
        fetched = queries[-1]["sql"].count(" AND ")
        assert fetched <= bound
        merkle.verify_consistency(old, size, proof, tree_root(old), root)


def test_record_atomic_still_writes_one_event_and_the_nodes_it_completes():
    first = record_atomic(None, Action.JOB_RETRIED, None, {}, object_type="t", object_id="1")
    if first.seq % 2:  # the next event completes a pair
        event = record_atomic(None, Action.JOB_RETRIED, None, {}, object_type="t", object_id="2")
    else:
        event, first = first, Event.objects.get(seq=first.seq - 1)
    node = SubtreeHash.objects.get(level=1, index=(event.seq - 1) // 2)
    assert node.hash == merkle.node_hash(leaf_hash_of(first), leaf_hash_of(event)).hex()
    assert not SubtreeHash.objects.filter(level=0).exists()
