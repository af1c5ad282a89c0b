"""The events' Merkle tree (RFC 9162 §2.1) read from stored aligned subtree hashes.

Leaf n-1 of the tree is event seq n: ``leaf_hash(event.entry_bytes())``. record_event stores the
aligned subtrees each append completes (``SubtreeHash``) and keeps the compact range in the
``LedgerHead``; roots and proofs here read O(log n) rows, fetched in one query, and never rehash
the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import reduce
from operator import or_

from django.db.models import Q

from quancheng.lib import merkle

from .models import LedgerHead, SubtreeHash


class MissingSubtree(LookupError):
    """A subtree hash the tree should have is not stored (rows lost or a size beyond the log)."""


def _address(start: int, end: int) -> tuple[int, int]:
    level = (end - start).bit_length() - 1
    return level, start >> level


class DbSubtreeSource:
    """A :class:`quancheng.lib.merkle.SubtreeSource` over ``SubtreeHash`` rows, one query each.

    :meth:`prefetch` loads many addresses at once; later calls for them need no query.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, addresses: Iterable[tuple[int, int]]) -> None:
        wanted = {a for a in addresses if a not in self._cache}
        if not wanted:
            return
        condition = reduce(or_, (Q(level=level, index=index) for level, index in sorted(wanted)))
        for level, index, digest in SubtreeHash.objects.filter(condition).values_list(
            "level", "index", "hash"
        ):
            self._cache[(level, index)] = bytes.fromhex(digest)

    def subtree_hash(self, start: int, end: int) -> bytes:
        address = _address(start, end)
        if address not in self._cache:
            self.prefetch([address])
        try:
            return self._cache[address]
        except KeyError:
            level, index = address
            raise MissingSubtree(
                f"no stored subtree hash for level {level}, index {index} "
                f"(events {start + 1}..{end})"
            ) from None


class _Recorder:
    """A source that only notes which subtrees an algorithm asks for (its answers are dummies).

    The proof algorithms' reads depend on sizes and indexes only, never on hash values, so a
    dry run with this recorder names every row the real run will read.
    """

    def __init__(self) -> None:
        self.addresses: list[tuple[int, int]] = []

    def subtree_hash(self, start: int, end: int) -> bytes:
        self.addresses.append(_address(start, end))
        return bytes(merkle.HASH_SIZE)


def _run(algorithm: Callable[[merkle.SubtreeSource], object]):
    recorder = _Recorder()
    algorithm(recorder)
    source = DbSubtreeSource()
    source.prefetch(recorder.addresses)
    return algorithm(source)


def tree_size() -> int:
    head = LedgerHead.objects.filter(id=1).values_list("seq", flat=True).first()
    return head or 0


def _check_size(size: int) -> None:
    current = tree_size()
    if not 0 <= size <= current:
        raise ValueError(f"tree size {size} is not between 0 and the log's {current} events")


def tree_root(size: int | None = None) -> bytes:
    """MTH of the first ``size`` events (default: all), from at most log2(size)+1 rows."""
    if size is None:
        size = tree_size()
    else:
        _check_size(size)
    return _run(lambda source: merkle.root_from_source(source, size))


def leaf_hash_of(event) -> bytes:
    return merkle.leaf_hash(event.entry_bytes())


def inclusion_proof_for(seq: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of event ``seq`` (leaf seq-1) in the tree of ``size`` events."""
    _check_size(size)
    return _run(lambda source: merkle.inclusion_proof(source, seq - 1, size))


def consistency_proof_between(old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof from the tree of ``old`` events to the tree of ``new``."""
    _check_size(new)
    return _run(lambda source: merkle.consistency_proof(source, old, new))
