"""The events' Merkle tree (RFC 9162 §2.1) read from stored aligned subtree hashes.

Leaf n-1 of the tree is event seq n: ``leaf_hash(event.entry_bytes())``. The integrator stores
the aligned subtrees of two leaves or more that each append completes (``SubtreeHash``, levels
>= 1) and keeps the compact range in the ``LedgerHead``. A leaf is not stored twice: the event
row is its source, and address (0, i) is served as the leaf of event seq i+1. Roots and proofs
here read O(log n) rows - stored nodes and the events of the leaves they need - in one query,
and never rehash the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection

from quancheng.lib import merkle

from .entry import content_of, entry_bytes
from .models import Event, LedgerHead, SubtreeHash

# The event columns an entry is made of, as raw rows (no model instances) read them.
COLUMNS = (
    "seq",
    "time",
    "actor_label",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "body",
    "prev_hash",
    "hash",
)


def entry_of(row) -> bytes:
    """The entry bytes of an event row of :data:`COLUMNS` (as :func:`select_column` reads them)."""
    seq, time, actor, agency, action, object_type, object_id, body, prev, _ = row
    # The time is UTC: a naive datetime on SQLite (Django stores it so), the stamp as text on
    # PostgreSQL (select_column). The hashes come as their 32 bytes (fields.Sha256Field); the
    # entry names the previous one in hex.
    return entry_bytes(
        content_of(time, actor, agency, action, object_type, object_id, body), seq, prev.hex()
    )


def select_column(name: str) -> str:
    quoted = connection.ops.quote_name(name)
    if name == "time" and connection.vendor == "postgresql":
        # The server writes the stamp: psycopg's timestamptz loader is Python code, and it was a
        # sixth of a worker's time (utc_stamp reads the text back in C).
        return f"""to_char({quoted} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    return quoted


class MissingSubtree(LookupError):
    """A subtree hash the tree should have is not stored (rows lost or a size beyond the log)."""


def _address(start: int, end: int) -> tuple[int, int]:
    level = (end - start).bit_length() - 1
    return level, start >> level


class DbSubtreeSource:
    """A :class:`quancheng.lib.merkle.SubtreeSource` over ``SubtreeHash`` rows and events.

    Level 0 (a leaf) is computed from its event's entry; higher levels are stored rows.
    :meth:`prefetch` loads many addresses at once, both kinds in one query; later calls for them
    need no query.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, addresses: Iterable[tuple[int, int]]) -> None:
        wanted = {a for a in addresses if a not in self._cache}
        if not wanted:
            return
        for level, index, digest in fetch_nodes(wanted):
            self._cache[(level, index)] = digest

    def subtree_hash(self, start: int, end: int) -> bytes:
        address = _address(start, end)
        if address not in self._cache:
            self.prefetch([address])
        try:
            return self._cache[address]
        except KeyError:
            level, index = address
            if level == 0:
                raise MissingSubtree(
                    f"no event #{index + 1} for the leaf at level 0, index {index}"
                ) from None
            raise MissingSubtree(
                f"no stored subtree hash for level {level}, index {index} "
                f"(events {start + 1}..{end})"
            ) from None


def fetch_nodes(addresses: Iterable[tuple[int, int]]) -> list[tuple[int, int, bytes]]:
    """(level, index, hash) of the given tree addresses that exist, in one query: leaves
    (level 0) computed from their events' entries, the other levels read from ``SubtreeHash``.
    """
    wanted = sorted(set(addresses))
    seqs = [index + 1 for level, index in wanted if level == 0]
    nodes = [(level, index) for level, index in wanted if level > 0]
    if not seqs and not nodes:
        return []
    qn = connection.ops.quote_name
    event_columns = ", ".join(select_column(c) for c in COLUMNS)
    nulls = ", ".join("NULL" for _ in COLUMNS[1:-1])
    parts, params = [], []
    # The events' part comes first: its column types name the union's (SQLite's datetime).
    if seqs:
        marks = ", ".join(["%s"] * len(seqs))
        parts.append(
            f"SELECT 0 AS lvl, {event_columns} "  # noqa: S608
            f"FROM {qn(Event._meta.db_table)} WHERE seq IN ({marks})"
        )
        params += seqs
    if nodes:
        condition = " OR ".join([f"({qn('level')} = %s AND {qn('index')} = %s)"] * len(nodes))
        parts.append(
            f"SELECT {qn('level')}, {qn('index')}, {nulls}, hash "  # noqa: S608
            f"FROM {qn(SubtreeHash._meta.db_table)} WHERE {condition}"
        )
        params += [value for node in nodes for value in node]
    found = []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for row in cursor.fetchall():
            level, rest = row[0], row[1:]
            if level == 0:
                found.append((0, rest[0] - 1, merkle.leaf_hash(entry_of(rest))))
            else:
                found.append((level, rest[0], bytes(rest[-1])))
    return found


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
