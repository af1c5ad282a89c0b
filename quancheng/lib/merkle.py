"""Merkle tree hashing, proofs and proof verification exactly per RFC 9162 §2.1.

Django-free on purpose: the offline verifier and the witness use this module without a database.

Hashing (RFC 9162 §2.1.1)
    leaf hash  = SHA-256(0x00 || entry)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256()                      (``EMPTY_ROOT``)
    MTH(D[n])  = node_hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Aligned subtrees
    A range ``[start, end)`` of leaves is *aligned* when its size is a power of two and ``start``
    is a multiple of that size. Such a subtree is perfect and, once its last leaf exists, its hash
    never changes, so it can be stored. It is also addressed as ``(level, index)`` with
    ``level = log2(end - start)`` and ``index = start >> level``.

    Every left child in the RFC's tree shape is an aligned subtree; nodes on the right border of a
    tree whose size is not a power of two are not, but each of them is a short right-to-left fold
    of aligned subtrees (the binary decomposition of its size, largest first). So every hash a
    proof needs comes from O(log n) aligned subtree hashes, and proof generation here asks a
    :class:`SubtreeSource` for nothing else.

Plugging in a database
    A ledger keeps a :class:`CompactRange` (the stack of perfect subtree roots on the log's right
    edge; one hash per set bit of the tree size). Appending a leaf returns the aligned subtrees it
    completes, always ``(0, seq, leaf_hash)`` plus one per trailing one bit of the previous size,
    about two rows per event on average. Store them in a table keyed by ``(level, index)``. A
    database-backed source then is just::

        class DbSource:
            def subtree_hash(self, start: int, end: int) -> bytes:
                level = (end - start).bit_length() - 1
                return SubtreeRow.objects.get(level=level, index=start >> level).hash

    and :func:`inclusion_proof`, :func:`consistency_proof` and :func:`root_from_source` read at
    most about 2·log2(n) rows, never rehashing the log. After a restart the frontier is rebuilt
    from the same rows with :meth:`CompactRange.from_source` (one read per set bit of the size).

Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) raises :class:`ProofError` with a message saying
what is wrong; it returns ``None`` when the proof holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "InMemorySource",
    "ProofError",
    "Subtree",
    "SubtreeSource",
    "aligned_ranges",
    "consistency_proof",
    "inclusion_proof",
    "is_aligned",
    "leaf_hash",
    "node_hash",
    "node_key",
    "root_from_source",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256
_new_tuple = tuple.__new__


class ProofError(Exception):
    """An inclusion or consistency proof does not verify."""


# --- Hashing (RFC 9162 §2.1.1) ------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || entry) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The RFC's k for n > 1: the largest power of two smaller than n (RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the given leaf hashes, computed directly by the RFC's definition (§2.1.1).

    This reads every leaf: fine for small trees and as a reference; large logs use
    :func:`root_from_source` or :meth:`CompactRange.root`.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def _mth(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    n = end - start
    if n == 1:
        return leaf_hashes[start]
    k = _split(n)
    return node_hash(_mth(leaf_hashes, start, start + k), _mth(leaf_hashes, start + k, end))


# --- Aligned subtrees ---------------------------------------------------------------------------


def is_aligned(start: int, end: int) -> bool:
    """Whether [start, end) is a perfect subtree in place: size 2^l and start % 2^l == 0."""
    size = end - start
    return start >= 0 and size > 0 and size & (size - 1) == 0 and start % size == 0


def aligned_ranges(start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into the aligned subtrees whose right-to-left fold is MTH(D[start:end]).

    The pieces are the binary decomposition of the size, largest first. That fold equals the
    RFC's MTH (§2.1.1) only when the first (largest) piece is aligned, which holds for every node
    of an RFC tree, including those on its right border; other ranges raise ``ValueError``.
    """
    n = end - start
    if start < 0 or n <= 0:
        raise ValueError(f"empty or negative range [{start}, {end})")
    top = n.bit_length() - 1
    if start % (1 << top):
        raise ValueError(f"[{start}, {end}) is not a node of an RFC 9162 tree: start not aligned")
    ranges = []
    position = start
    for level in range(top, -1, -1):
        if n >> level & 1:
            ranges.append((position, position + (1 << level)))
            position += 1 << level
    return ranges


def node_key(level: int, index: int) -> int:
    """One integer for the aligned subtree (level, index) (levels below 64): a cheap dict key."""
    return (index << 6) | level


class Subtree(NamedTuple):
    """A complete aligned subtree: leaves [index·2^level, (index+1)·2^level) and its hash."""

    level: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here calls
    hash: bytes

    @property
    def start(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        return (self.index + 1) << self.level


class SubtreeSource(Protocol):
    """Anything that returns the hash of a complete aligned subtree.

    ``subtree_hash(start, end)`` is only ever called with ``is_aligned(start, end)`` true and
    ``end`` not beyond the tree size the caller asked about. A size-1 range is a leaf hash.
    """

    def subtree_hash(self, start: int, end: int) -> bytes: ...


class InMemorySource:
    """A :class:`SubtreeSource` over leaf hashes held in memory, memoising every subtree hash."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._leaves: list[bytes] = list(leaf_hashes)
        self._memo: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._leaves)

    def append(self, leaf_hash: bytes) -> None:
        """Add a leaf; memoised hashes stay valid because complete subtrees never change."""
        self._leaves.append(leaf_hash)

    def subtree_hash(self, start: int, end: int) -> bytes:
        if not is_aligned(start, end):
            raise ValueError(f"[{start}, {end}) is not an aligned subtree")
        if end > len(self._leaves):
            raise ValueError(f"[{start}, {end}) goes beyond the {len(self._leaves)} leaves held")
        if end - start == 1:
            return self._leaves[start]
        cached = self._memo.get((start, end))
        if cached is None:
            middle = (start + end) // 2
            cached = node_hash(self.subtree_hash(start, middle), self.subtree_hash(middle, end))
            self._memo[(start, end)] = cached
        return cached


def _range_hash(source: SubtreeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from aligned subtree hashes, folded right to left (RFC 9162 §2.1.1)."""
    ranges = aligned_ranges(start, end)
    result = source.subtree_hash(*ranges[-1])
    for piece in reversed(ranges[:-1]):
        result = node_hash(source.subtree_hash(*piece), result)
    return result


def root_from_source(source: SubtreeSource, size: int) -> bytes:
    """The root hash of the tree of the first ``size`` leaves; one read per set bit of size."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(source, 0, size)


# --- Proof generation (RFC 9162 §2.1.3.1 and §2.1.4.1) ------------------------------------------


def inclusion_proof(source: SubtreeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) per RFC 9162 §2.1.3.1, read from aligned subtree hashes.

    Uses at most about 2·log2(size) ``subtree_hash`` calls: one per level, plus the pieces of
    the single right-border sibling the path can meet.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return _path(source, index, 0, size)


def _path(source: SubtreeSource, m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) with m relative to start (RFC 9162 §2.1.3.1)."""
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(source, m, start, start + k), _range_hash(source, start + k, end)]
    return [*_path(source, m - k, start + k, end), _range_hash(source, start, start + k)]


def consistency_proof(source: SubtreeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) per RFC 9162 §2.1.4.1, read from aligned subtree hashes.

    The RFC defines the proof for 0 < old_size < new_size. Equal sizes give the empty proof (there
    is nothing to prove); a proof from the empty tree is undefined and raises ``ValueError``, as
    does old_size > new_size.
    """
    if old_size == new_size >= 0:
        return []
    if not 0 < old_size < new_size:
        raise ValueError(
            f"no consistency proof from size {old_size} to size {new_size} "
            "(RFC 9162 §2.1.4.1 requires 0 < old size <= new size)"
        )
    return _subproof(source, old_size, 0, new_size, whole=True)


def _subproof(source: SubtreeSource, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) with m relative to start (RFC 9162 §2.1.4.1)."""
    n = end - start
    if m == n:
        return [] if whole else [_range_hash(source, start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(source, m, start, start + k, whole), _range_hash(source, start + k, end)]
    return [*_subproof(source, m - k, start + k, end, False), _range_hash(source, start, start + k)]


# --- Compact range: the stored frontier ---------------------------------------------------------


class CompactRange:
    """The right edge of a growing log: the roots of its perfect subtrees, largest first.

    A tree of size n is covered by one aligned perfect subtree per set bit of n (the binary
    decomposition used by :func:`aligned_ranges`); their right-to-left fold is the root
    (RFC 9162 §2.1.1). Appending a leaf merges equal-sized subtrees like binary carry.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {max(size, 0).bit_count()} frontier hashes"
            )
        self._size = size
        self._hashes: list[bytes] = list(hashes)

    @classmethod
    def from_source(cls, source: SubtreeSource, size: int) -> CompactRange:
        """Rebuild the frontier of the first ``size`` leaves from stored aligned subtrees."""
        ranges = aligned_ranges(0, size) if size else []
        return cls(size, [source.subtree_hash(start, end) for start, end in ranges])

    @property
    def size(self) -> int:
        return self._size

    @property
    def frontier(self) -> list[Subtree]:
        """The perfect subtrees covering [0, size), largest (leftmost) first."""
        ranges = aligned_ranges(0, self._size) if self._size else []
        return [
            Subtree((end - start).bit_length() - 1, start // (end - start), digest)
            for (start, end), digest in zip(ranges, self._hashes, strict=True)
        ]

    def append_subtree(self, level: int, digest: bytes) -> list[Subtree]:
        """Add a perfect subtree of 2**level leaves (its root ``digest``) on the right edge.

        The tree's size must be a multiple of 2**level, so that the subtree is aligned; equal
        subtrees then merge like the carry of :meth:`append`. Ranges of leaves hashed
        separately (e.g. by parallel workers over aligned ranges) join this way. Returns the
        aligned subtrees completed, the added one first, then those its carry completes
        (they span it and the subtrees before it).
        """
        if len(digest) != HASH_SIZE:
            raise ValueError(f"a subtree hash has {HASH_SIZE} bytes, not {len(digest)}")
        if level < 0 or self._size % (1 << level):
            raise ValueError(f"a subtree of 2**{level} leaves cannot follow {self._size} leaves")
        index = self._size >> level
        completed = [Subtree(level, index, digest)]
        while index & 1:
            digest = node_hash(self._hashes.pop(), digest)
            level += 1
            index >>= 1
            completed.append(Subtree(level, index, digest))
        self._hashes.append(digest)
        self._size += 1 << completed[0].level
        return completed

    def append(self, leaf_hash: bytes) -> list[Subtree]:
        """Add a leaf; return the aligned subtrees it completes, smallest (the leaf) first.

        The ledger stores all but the first (levels >= 1, ``ledger.SubtreeHash``): a leaf is
        recomputed from its event's entry whenever it is needed.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(leaf_hash)}")
        # The ledger's writers call this once per event (tens of millions for the demo city):
        # node_hash is inlined and each Subtree made by tuple.__new__ (what NamedTuple's own
        # __new__ calls), which saves a Python call per node and per subtree (about a fifth).
        hashes = self._hashes
        index = self._size
        digest = leaf_hash
        completed = [_new_tuple(Subtree, (0, index, digest))]
        level = 0
        while index & 1:
            digest = _sha256(_NODE_PREFIX + hashes.pop() + digest).digest()
            level += 1
            index >>= 1
            completed.append(_new_tuple(Subtree, (level, index, digest)))
        hashes.append(digest)
        self._size += 1
        return completed

    def add(self, leaf_hash: bytes) -> None:
        """:meth:`append` without listing the completed subtrees (a verifier only folds)."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(leaf_hash)}")
        index, digest = self._size, leaf_hash
        while index & 1:
            digest = node_hash(self._hashes.pop(), digest)
            index >>= 1
        self._hashes.append(digest)
        self._size += 1

    def add_checked(self, leaf_hash: bytes, stored: Mapping[int, bytes], offset: int = 0) -> bool:
        """:meth:`add`, and whether each aligned subtree of two leaves or more that the leaf
        completes is in ``stored`` with the same hash, keyed by
        ``node_key(level, index + (offset >> level))`` (``offset``: the leaves before this
        range's first, a multiple of 2**level for every level the range completes).

        A verifier's fold against the nodes a database stores, without listing them.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(leaf_hash)}")
        index, digest, level, same = self._size, leaf_hash, 0, True
        while index & 1:
            digest = node_hash(self._hashes.pop(), digest)
            index >>= 1
            level += 1
            if stored.get(((index + (offset >> level)) << 6) | level) != digest:
                same = False
        self._hashes.append(digest)
        self._size += 1
        return same

    def root(self) -> bytes:
        """The current root hash (MTH of all leaves appended so far)."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for digest in reversed(self._hashes[:-1]):
            result = node_hash(digest, result)
        return result


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ----------------------------------------------


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} has {len(value)} bytes, a SHA-256 hash has {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        _check_hash(f"proof hash {position}", value)


def _mismatch(what: str, calculated: bytes, expected: bytes) -> ProofError:
    return ProofError(
        f"{what} does not match: the proof gives {calculated.hex()}, expected {expected.hex()}"
    )


def _inclusion_proof_length(index: int, size: int) -> int:
    """Hashes in PATH(index, D[size]): siblings below the split from the right border, plus the
    left-hand siblings along that border."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_length(size1: int, size2: int) -> int:
    """Hashes in PROOF(size1, D[size2]) for 0 < size1 < size2."""
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = ((size1 - 1) >> inner).bit_count()
    shift = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    seed = 0 if size1 == 1 << shift else 1
    return seed + inner - shift + border


def _shift_until_odd_or_zero(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    The algorithm of RFC 9162 §2.1.3.2, after checking that every hash has 32 bytes and that the
    proof has the length the RFC's PATH has for this index and size. Raises :class:`ProofError`.
    """
    if index < 0 or size < 0:
        raise ProofError(f"negative leaf index {index} or tree size {size}")
    if index >= size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root)
    _check_proof(proof)
    expected = _inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes; leaf {index} of a tree of size {size} "
            f"needs {expected}"
        )
    fn, sn = index, size - 1
    result = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            result = node_hash(p, result)
            fn, sn = _shift_until_odd_or_zero(fn, sn)
        else:
            result = node_hash(result, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    if result != root:
        raise _mismatch("root hash", result, root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1`` with ``root1``.

    The algorithm of RFC 9162 §2.1.4.2, defined for 0 < size1 < size2. Outside it:

    - size1 > size2: always an error (a log never shrinks);
    - size1 == size2: the proof must be empty and the roots equal, and a tree of size 0 has the
      root SHA-256() (§2.1.1), so other roots for size 0 are refused;
    - size1 == 0 < size2: refused, a proof from the empty tree proves nothing; callers that
      accept a first checkpoint do so without a consistency check.

    Raises :class:`ProofError`.
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"negative tree size {size1} or {size2}")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}: a log cannot shrink")
    if size1 == size2:
        _verify_same_size(size1, proof, root1, root2)
        return
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size1 = 0) is meaningless")
    if not proof:
        raise ProofError(f"empty consistency proof between different sizes {size1} and {size2}")
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    _check_proof(proof)
    expected = _consistency_proof_length(size1, size2)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes; sizes {size1} and {size2} need {expected}"
        )
    first, second = _consistency_roots(size1, size2, proof, root1)
    if first != root1:
        raise _mismatch("root1", first, root1)
    if second != root2:
        raise _mismatch("root2", second, root2)


def _verify_same_size(size: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    if proof:
        raise ProofError(f"sizes are equal ({size}) but the consistency proof is not empty")
    if root1 != root2:
        raise ProofError(f"sizes are equal ({size}) but the roots differ")
    if size == 0 and root1 != EMPTY_ROOT:
        raise _mismatch("root of the empty tree", EMPTY_ROOT, root1)


def _consistency_roots(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """Steps 2-6 of RFC 9162 §2.1.4.2: the (first, second) roots the proof implies."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _shift_until_odd_or_zero(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path to the root")
    return fr, sr
