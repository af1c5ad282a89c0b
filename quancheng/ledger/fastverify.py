"""The fast pass of ledger verification: raw rows, aligned ranges, both cores.

``verify_ledger`` first runs this pass. It streams each range's rows as plain tuples (no model
instances), recomputes every entry's hash and Merkle leaf, checks the hash against the stored
hash and the row's link against the previous row, and folds the leaves into a compact range,
checking every stored node (``SubtreeHash``, levels >= 1; leaves are not stored) that the fold
completes against the recomputed one, a range query per chunk of rows. The ranges are aligned
to a power of two, so their frontiers join into the whole tree
(``CompactRange.append_subtree``), and a checkpoint inside a range gets its root from the
ranges before it and the range's own frontier at that size. The boundaries' links are checked
when the ranges are joined (the first row of a range must name the last row of the one before),
and so are the stored nodes that span ranges, which the join completes.

The pass only says "intact up to here" or "something is wrong in this range": the thorough
serial pass (``verify._Pass``) then names and classifies every problem. With a database other
processes cannot see (SQLite in memory, or rows not yet committed by the caller's transaction)
the ranges run one after another in this process.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from django.db import connection, connections

from quancheng.lib import forking
from quancheng.lib.merkle import CompactRange, leaf_hash, node_key

from .models import GENESIS_HASH, Event, SubtreeHash
from .tree import COLUMNS, entry_of, fetch_nodes, select_column

CHUNK = 5000
# Below this many events one process is quicker than starting workers.
PARALLEL_MIN_EVENTS = 20_000
RANGES_PER_WORKER = 8


@dataclass
class RangeResult:
    """What one aligned range of events [first, last] showed."""

    first: int
    last: int
    ok: bool = True
    checked: int = 0  # rows verified before the first problem (or all of them)
    first_prev: str = ""  # prev_hash of the range's first row
    last_hash: str = ""  # hash of its last row
    frontier: list[tuple[int, bytes]] = field(default_factory=list)  # (level, hash), largest first
    at_checkpoints: dict[int, list[tuple[int, bytes]]] = field(default_factory=dict)


def _rows(cursor, first: int, last: int):
    """Events first..last in seq order, as plain tuples from the driver (no model instances);
    the hashes as the driver gives the columns: their 32 bytes (fields.Sha256Field)."""
    columns = ", ".join(select_column(f) for f in COLUMNS)
    table = connection.ops.quote_name(Event._meta.db_table)
    cursor.execute(
        f"SELECT {columns} FROM {table} WHERE seq >= %s AND seq <= %s ORDER BY seq",  # noqa: S608
        [first, last],
    )
    while batch := cursor.fetchmany(CHUNK):
        yield from batch


def completed_between(first: int, last: int) -> list[tuple[int, int, int]]:
    """(level, first index, last index) of the stored nodes (levels >= 1) that the appends of
    events first..last complete: node (L, i) is completed by event seq (i + 1)·2^L."""
    ranges = []
    level = 1
    while (1 << level) <= last:
        low, high = -(-first >> level) - 1, (last >> level) - 1
        if low <= high:
            ranges.append((level, low, high))
        level += 1
    return ranges


def stored_nodes(cursor, first: int, last: int) -> dict[int, bytes]:
    """The stored subtree rows (levels >= 1) completed by events first..last, their hashes by
    ``merkle.node_key(level, index)``: one query (a range of the unique (level, index) index
    per level)."""
    ranges = completed_between(first, last)
    if not ranges:
        return {}
    qn = connection.ops.quote_name
    level, index = qn("level"), qn("index")
    condition = " OR ".join([f"({level} = %s AND {index} BETWEEN %s AND %s)"] * len(ranges))
    cursor.execute(
        f"SELECT {level}, {index}, hash FROM {qn(SubtreeHash._meta.db_table)} "  # noqa: S608
        f"WHERE {condition}",
        [value for r in ranges for value in r],
    )
    return {node_key(lv, i): bytes(digest) for lv, i, digest in cursor.fetchall()}


def _frontier(tree: CompactRange) -> list[tuple[int, bytes]]:
    return [(s.level, s.hash) for s in tree.frontier]


def verify_range(first: int, last: int, checkpoint_sizes=(), counter=None) -> RangeResult:
    """Check events first..last (hash, links and stored nodes inside the range) and hash their
    tree."""
    result = RangeResult(first, last)
    sizes = sorted(s for s in checkpoint_sizes if first <= s <= last)
    tree = CompactRange()
    expected, prev = first, None
    base = first - 1  # a multiple of the range's aligned size: local index + base >> level
    with connection.cursor() as cursor:
        while expected <= last:
            chunk_start, end = expected, min(expected + CHUNK - 1, last)
            nodes = stored_nodes(cursor, chunk_start, end)
            for row in list(_rows(cursor, chunk_start, end)):
                seq, prev_hash, own = row[0], row[8], row[9]
                entry = entry_of(row)
                if (
                    seq != expected
                    or hashlib.sha256(entry).digest() != own
                    or (prev is not None and prev_hash != prev)
                ):
                    result.ok = False
                    return result
                # Every stored node this leaf completes inside the range (proofs read them);
                # those spanning earlier ranges are checked when the ranges are joined.
                if not tree.add_checked(leaf_hash(entry), nodes, base):
                    result.ok = False
                    return result
                if prev is None:
                    result.first_prev = prev_hash.hex()
                prev = own
                expected += 1
                result.checked += 1
                if sizes and sizes[0] == seq:
                    result.at_checkpoints[sizes.pop(0)] = _frontier(tree)
            if expected != end + 1:  # rows missing at the chunk's end: a gap
                result.ok = False
                return result
            if counter is not None:
                with counter.get_lock():
                    counter.value += end - chunk_start + 1
    result.last_hash = prev.hex() if prev else ""
    result.frontier = _frontier(tree)
    return result


def _in_worker(first: int, last: int, sizes: list[int]) -> RangeResult:
    connections.close_all()  # the parent's connections are not this process's
    return verify_range(first, last, sizes, _COUNTER)


_COUNTER = None


def _init_worker(counter) -> None:
    global _COUNTER
    _COUNTER = counter


def aligned_ranges(upto: int, parts: int) -> list[tuple[int, int]]:
    """(first, last) seqs of ``parts`` or fewer ranges, each starting at a multiple of a power of
    two at least upto / parts (so that their trees join)."""
    if upto == 0:
        return []
    size = 1 << max(-(-upto // parts) - 1, 0).bit_length()
    return [(start + 1, min(start + size, upto)) for start in range(0, upto, size)]


def workers() -> int:
    return forking.cores()


@dataclass
class FastPass:
    """The outcome of the fast pass over events 1..upto."""

    ok: bool
    tree: CompactRange
    last_hash: str
    roots: dict[int, bytes]  # checkpoint size -> recomputed root
    parallel: bool


def run(upto: int, checkpoint_sizes: list[int], progress: Callable | None = None) -> FastPass:
    """Verify events 1..upto in aligned ranges, in parallel where the database allows."""
    parallel = upto >= PARALLEL_MIN_EVENTS and forking.can_fork() and workers() > 1
    # Aligned ranges are powers of two: one per worker would leave one worker with up to twice
    # the other's rows (200,000 events split 131,072 + 68,928), so each worker takes several.
    ranges = aligned_ranges(upto, workers() * RANGES_PER_WORKER if parallel else 1)
    if parallel:
        results = _run_parallel(ranges, checkpoint_sizes, upto, progress)
    else:
        results = [verify_range(first, last, checkpoint_sizes) for first, last in ranges]
        if progress:
            progress(upto, upto)
    return _join(results, parallel)


def _run_parallel(ranges, sizes, upto, progress) -> list[RangeResult]:
    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0)
    connections.close_all()  # never share a connection with the forked workers
    with ProcessPoolExecutor(
        min(len(ranges), workers()),
        mp_context=context,
        initializer=_init_worker,
        initargs=(counter,),
    ) as pool:
        futures = [pool.submit(_in_worker, first, last, sizes) for first, last in ranges]
        while wait(futures, timeout=0.5).not_done:
            if progress:
                progress(min(counter.value, upto), upto)
        results = [f.result() for f in futures]
    if progress:
        progress(upto, upto)
    return results


def _join(results: list[RangeResult], parallel: bool) -> FastPass:
    tree = CompactRange()
    roots: dict[int, bytes] = {}
    last_hash = GENESIS_HASH
    ok = True
    spanning: dict[tuple[int, int], str] = {}
    for result in results:
        # The range's first row must link to the last row of the range before it.
        if not result.ok or result.first_prev != last_hash:
            ok = False
            break
        for size, frontier in result.at_checkpoints.items():
            at = CompactRange(tree.size, [h for _, h in _frontier(tree)])
            for level, digest in frontier:
                at.append_subtree(level, digest)
            roots[size] = at.root()
        for level, digest in result.frontier:
            # The nodes the join completes span this range and those before it.
            for node in tree.append_subtree(level, digest)[1:]:
                spanning[(node.level, node.index)] = node.hash.hex()
        last_hash = result.last_hash
    if ok and spanning:
        # The stored rows of those nodes, in one query: each must be what the ranges give.
        stored = {(level, index): digest.hex() for level, index, digest in fetch_nodes(spanning)}
        ok = stored == spanning
    return FastPass(ok, tree, last_hash, roots, parallel)
