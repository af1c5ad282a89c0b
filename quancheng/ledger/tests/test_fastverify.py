"""The fast pass of verification: aligned ranges joined into the whole tree, in parallel where
other processes can read the rows."""

import itertools

import pytest
from django.db import connection, transaction

from quancheng.ledger import fastverify
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint
from quancheng.ledger.models import Checkpoint, Event
from quancheng.ledger.services import record_event
from quancheng.ledger.tree import leaf_hash_of, tree_root
from quancheng.ledger.verify import Kind, verify_ledger
from quancheng.lib import merkle

from . import tamper


@pytest.fixture(autouse=True)
def _own_key(own_ledger_key):
    """Each test generates its own embedded-default key (conftest.own_ledger_key)."""


def _log(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def _ledger():
    _log(9)
    make_checkpoint()  # size 9
    _log(14)
    make_checkpoint()  # size 24
    _log(5)
    return Event.objects.count()


@pytest.mark.parametrize("parts", [1, 2, 3, 5])
@pytest.mark.django_db
def test_ranges_joined_give_every_checkpoint_root(parts):
    upto = _ledger()
    sizes = list(Checkpoint.objects.values_list("size", flat=True))
    ranges = fastverify.aligned_ranges(upto, parts)
    assert ranges[0][0] == 1 and ranges[-1][1] == upto
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
    results = [fastverify.verify_range(first, last, sizes) for first, last in ranges]
    joined = fastverify._join(results, parallel=False)
    assert joined.ok
    assert joined.tree.size == upto and joined.tree.root() == tree_root(upto)
    assert joined.roots == {size: tree_root(size) for size in sizes}


@pytest.mark.django_db
def test_a_broken_link_between_two_ranges_is_caught_when_joining():
    upto = _ledger()
    first, second = fastverify.aligned_ranges(upto, 2)
    results = [fastverify.verify_range(*first), fastverify.verify_range(*second)]
    results[1].first_prev = "f" * 64  # as if the range's first row named another predecessor
    assert not fastverify._join(results, parallel=False).ok


@pytest.mark.django_db
def test_stored_nodes_are_checked_inside_each_range_and_across_ranges_when_joining():
    upto = _ledger()  # 28 events: four ranges of 8
    ranges = fastverify.aligned_ranges(upto, 4)
    assert ranges[:2] == [(1, 8), (9, 16)]

    def joined():
        return fastverify._join([fastverify.verify_range(*r) for r in ranges], parallel=False)

    assert joined().ok
    # Inside the second range: that range fails.
    tamper.alter_node(2, 2)  # events #9..#12
    assert not fastverify.verify_range(9, 16).ok
    assert fastverify.verify_range(1, 8).ok and not joined().ok
    tamper.alter_node(2, 2, tree_node(2, 2))
    assert joined().ok
    # Over the first two ranges: no range computes it alone, the join does.
    tamper.alter_node(4, 0)  # events #1..#16
    assert all(fastverify.verify_range(*r).ok for r in ranges)
    assert not joined().ok
    tamper.delete_node(4, 0)
    assert not joined().ok


def tree_node(level, index):
    """The node's hash recomputed from the events (tree.fetch_nodes computes leaves)."""
    memory = merkle.InMemorySource(
        [leaf_hash_of(e) for e in Event.objects.order_by("seq")[: (index + 1) << level]]
    )
    return memory.subtree_hash(index << level, (index + 1) << level).hex()


@pytest.mark.django_db
def test_an_edited_row_fails_the_fast_pass_and_the_thorough_pass_names_it():
    upto = _ledger()
    tamper.edit_body(12, {"i": "changed"})
    assert not fastverify.run(upto, []).ok
    report = verify_ledger()
    assert report.first.kind == Kind.EDITED and report.first.seq == 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_parallel_pass_runs_in_worker_processes(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the test database on SQLite is in memory: no other process can read it")
    # Committed rows, so forked workers with their own connections see them.
    upto = _ledger()
    monkeypatch.setattr(fastverify, "PARALLEL_MIN_EVENTS", 1)
    monkeypatch.setattr(fastverify, "workers", lambda: 3)
    seen = []
    sizes = list(Checkpoint.objects.values_list("size", flat=True))
    fast = fastverify.run(upto, sizes, lambda done, total: seen.append(done))
    assert fast.parallel and fast.ok
    assert fast.tree.root() == tree_root(upto)
    assert verify_ledger().ok
    tamper.delete_event(20)
    assert not fastverify.run(upto, []).ok
    assert verify_ledger().first.kind == Kind.DELETED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_worker_takes_several_ranges_so_neither_waits_for_the_other(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the test database on SQLite is in memory: no other process can read it")
    upto = _ledger()
    monkeypatch.setattr(fastverify, "PARALLEL_MIN_EVENTS", 1)
    monkeypatch.setattr(fastverify, "workers", lambda: 2)
    ranges = fastverify.aligned_ranges(upto, 2 * fastverify.RANGES_PER_WORKER)
    assert len(ranges) > 2
    sizes = list(Checkpoint.objects.values_list("size", flat=True))
    fast = fastverify.run(upto, sizes)
    assert fast.parallel and fast.ok
    assert fast.tree.root() == tree_root(upto)
