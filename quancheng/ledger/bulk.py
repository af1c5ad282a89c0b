"""Appending many ledger events at once, for generated data (the demo city, benchmarks).

``append_events`` writes exactly the rows that one ``record_event`` call per event would write
once integrated - the same entry bytes and hash chain, the same ``SubtreeHash`` rows (levels
>= 1: no leaf rows), the same ``LedgerHead`` - but a chunk of rows per COPY (PostgreSQL, the
rows formatted here as COPY text for ``copyload.copy_text``) or INSERT (SQLite) instead of
statements per event. Each event is built by the ledger's one event builder (``entry.py``,
shared with ``record_event`` and the integrator). ``append_views`` does the same for the
filler of a generated city's ledger (``segment.viewed`` events), from a template of the entry
that the same builder writes: at the speed of the hashing.
Like record_event they run inside the caller's transaction: the events commit with their rows.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from quancheng.lib.copyload import (
    COPY_BYTEA_PREFIX,
    COPY_NULL,
    copy_field,
    copy_rows,
    copy_supported,
    copy_text,
)
from quancheng.lib.merkle import CompactRange, leaf_hash

from .actions import Action
from .entry import (
    EventContent,
    build_content,
    canonical_body,
    chain,
    content_of,
    entry_template,
)
from .fields import to_digest
from .models import Event, LedgerHead, SubtreeHash
from .services import require_own_transaction

if TYPE_CHECKING:
    from quancheng.orgs.models import User


CHUNK = 5000


@dataclass
class EventSpec:
    """What record_event takes, resolved: the object as (type, id), the agency as an id."""

    action: Action
    object_type: str
    object_id: str
    body: dict[str, Any] = field(default_factory=dict)
    actor: Any = None  # a User or None (system)
    agency_id: int | None = None
    time: dt.datetime | None = None  # default: now, as record_event


def spec_for(
    actor: User, action: Action, obj, body: dict | None = None, agency_id=None
) -> EventSpec:
    """The spec of ``record_event(actor, action, obj, body)`` for a saved model instance."""
    if agency_id is None:
        agency_id = getattr(obj, "agency_id", None)
    if agency_id is None and actor is not None:
        agency_id = actor.agency_id
    return EventSpec(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        body=body or {},
        actor=actor,
        agency_id=agency_id,
    )


EVENT_COLUMNS = (
    "seq",
    "time",
    "actor_id",
    "actor_label",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "body",
    "prev_hash",
    "hash",
)
SUBTREE_COLUMNS = ("level", "index", "hash")

# An event as append_events hashed it: (seq, time as the entry writes it, content, previous
# hash, hash), the hashes as hex.
Chained = tuple[int, str, EventContent, str, str]
# A Merkle row: (level, index, hash), as CompactRange.append's Subtrees.
Node = tuple[int, int, bytes]


def append_events(specs: Iterable[EventSpec], chunk: int = CHUNK) -> int:
    """Append the events in order on top of the ledger's head; return how many were appended.

    On PostgreSQL the rows go by COPY as text formatted here (copyload.copy_text), elsewhere by
    bulk_create.
    """
    require_own_transaction("append_events")
    # 1. Lock the head, as the integrator does: concurrent appends queue behind this one.
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    seq, prev = head.seq, head.hash
    write = _copy_events if copy_supported() else _insert_events
    events: list[Chained] = []
    nodes: list[Node] = []
    for spec in specs:
        # 2. Each event is built and hashed by the one builder, as record_event and the
        # integrator build it.
        seq += 1
        event = build_content(
            spec.actor,
            spec.action,
            object_type=spec.object_type,
            object_id=spec.object_id,
            body=spec.body,
            agency_id=spec.agency_id,
            time=spec.time,
        )
        content = event.content()
        entry, digest = chain(content, seq, prev)
        events.append((seq, content["time"], event, prev, digest))
        prev = digest
        # Levels >= 1 only, as the integrator: a leaf is its event's (ledger/tree.py).
        nodes += tree.append(leaf_hash(entry))[1:]
        if len(events) >= chunk:
            write(events, nodes)
    count = seq - head.seq
    if events:
        write(events, nodes)
    # 3. Move the head once, to where one-by-one appends would have left it.
    if count:
        LedgerHead.objects.filter(id=1).update(
            seq=seq, hash=prev, frontier=[s.hash.hex() for s in tree.frontier]
        )
    return count


def _copy_events(events: list[Chained], nodes: list[Node]) -> None:
    """COPY a chunk of events and their Merkle rows as text lines formatted here, then empty
    both lists.

    The times go as the entries write them (ISO 8601, ``Z``), the ints and hex digests as they
    are, the text fields through ``copy_field`` (a username or body may hold a tab or a
    backslash); an actor's username is escaped once per chunk. Dumping each field through
    psycopg's adapters (``copy_rows``) cost the builder about a third of ``append_events``.
    """
    bytea, null = COPY_BYTEA_PREFIX, COPY_NULL
    labels: dict[str, str] = {}
    lines = []
    for seq, stamp, e, prev, digest in events:
        label = labels.get(e.actor_label)
        if label is None:
            label = labels[e.actor_label] = copy_field(e.actor_label)
        actor = null if e.actor_id is None else e.actor_id
        agency = null if e.agency_id is None else e.agency_id
        lines.append(
            f"{seq}\t{stamp}\t{actor}\t{label}\t{agency}\t{copy_field(e.action.value)}\t"
            f"{copy_field(e.object_type)}\t{copy_field(e.object_id)}\t{copy_field(e.body)}\t"
            f"{bytea}{prev}\t{bytea}{digest}\n"
        )
    copy_text(Event._meta.db_table, EVENT_COLUMNS, ["".join(lines)])
    text = "".join(f"{level}\t{index}\t{bytea}{digest.hex()}\n" for level, index, digest in nodes)
    copy_text(SubtreeHash._meta.db_table, SUBTREE_COLUMNS, [text])
    events.clear()
    nodes.clear()


def _insert_events(events: list[Chained], nodes: list[Node]) -> None:
    """bulk_create a chunk of events and their Merkle rows (SQLite), then empty both lists."""
    rows = [
        (
            seq,
            e.time,
            e.actor_id,
            e.actor_label,
            e.agency_id,
            e.action.value,
            e.object_type,
            e.object_id,
            e.body,
            to_digest(prev),  # the columns hold the 32 bytes (fields.Sha256Field)
            to_digest(digest),
        )
        for seq, _stamp, e, prev, digest in events
    ]
    events.clear()
    _flush(rows, nodes)


def _flush(events: list[tuple], subtrees: list[tuple]) -> None:
    if copy_supported():
        copy_rows(Event._meta.db_table, EVENT_COLUMNS, events)
        copy_rows(SubtreeHash._meta.db_table, SUBTREE_COLUMNS, subtrees)
    else:
        Event.objects.bulk_create(Event(**dict(zip(EVENT_COLUMNS, e, strict=True))) for e in events)
        SubtreeHash.objects.bulk_create(
            SubtreeHash(**dict(zip(SUBTREE_COLUMNS, s, strict=True))) for s in subtrees
        )
    events.clear()
    subtrees.clear()


# --- filler: the access log of a city in use ---------------------------------------------------

VIEW_CHUNK = 50_000
VIEW_ACTION = Action.SEGMENT_VIEWED
VIEW_OBJECT_TYPE = "records.segment"
VIEW_BODY = {"via": "demo-city"}
# A filler event as the hashing gives it to the writers: (seq, time as the entry writes it,
# segment id, agency id, hash as hex).
ViewEvent = tuple[int, str, int, int, str]


@dataclass
class Viewer:
    """Who views an agency's segments in the filler: a user id, username and agency id."""

    user_id: int
    username: str
    agency_id: int


def append_views(
    count: int,
    targets: list[tuple[int, int]],
    viewers: dict[int, Viewer],
    time: dt.datetime,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append ``count`` ``segment.viewed`` events (the access log a city in use writes): each
    names a segment of ``targets`` ((segment id, agency id) pairs) viewed by its agency's
    viewer, at ``time`` plus one microsecond per event.

    The same entries, hashes, Merkle rows and head as ``append_events`` would write for these
    events (a test compares them), from a text template instead of a dict per event: the bulk
    of a generated city's ledger. On PostgreSQL the rows go to COPY as text formatted here
    (``copyload.copy_text``), elsewhere by bulk_create. Runs in the caller's transaction;
    ``progress`` gets the number of events of each written chunk.
    """
    require_own_transaction("append_views")
    rng = random.Random(seed)  # noqa: S311 - which segments the filler views
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    seq, prev = head.seq, head.hash
    body = canonical_body(VIEW_BODY)
    base = time.astimezone(dt.UTC).replace(microsecond=0)
    # The entry of each viewer's agency, cut where object_id, prev, seq and time go: the one
    # builder's bytes for the event (entry.entry_template), as text to fill in below.
    templates = {
        agency: tuple(
            part.decode()
            for part in entry_template(
                content_of(time, v.username, agency, VIEW_ACTION, VIEW_OBJECT_TYPE, "", body)
            )
        )
        for agency, v in viewers.items()
    }
    if copy_supported():
        write = partial(_copy_views, _copy_prefixes(viewers), copy_field(body))
    else:
        write = partial(_insert_views, viewers, body, base)
    written = 0
    with collector_paused():
        while written < count:
            n = min(VIEW_CHUNK, count - written)
            picks = [targets[rng.randrange(len(targets))] for _ in range(n)]
            events, nodes = _hash_views(picks, templates, base, seq, prev, tree)
            write(events, nodes, prev)
            seq, prev = events[-1][0], events[-1][4]
            written += n
            if progress:
                progress(n)
    if count:
        LedgerHead.objects.filter(id=1).update(
            seq=seq, hash=prev, frontier=[s.hash.hex() for s in tree.frontier]
        )
    return count


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off (if it was on) for the filler's loop, or a generator's
    chunk (the demo city's acts).

    The filler makes no reference cycles, but each chunk keeps its Merkle rows (about one
    ``merkle.Subtree`` per event, which the collector tracks) until they are written: their
    promotion to the oldest generation set off a full collection of the process's objects per
    chunk, a quarter of the builder's CPU (docs/performance.md, 2026-12-08). A chunk of acts
    (rows as dicts and instances, events, Merkle rows) set off one per chunk too.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _hash_views(
    picks: list[tuple[int, int]],
    templates: dict[int, tuple[str, ...]],
    base: dt.datetime,
    seq: int,
    prev: str,
    tree: CompactRange,
) -> tuple[list[ViewEvent], list[Node]]:
    """The events viewing ``picks`` ((segment, agency) pairs) after event ``seq`` of hash
    ``prev``, chained and added to ``tree``; and the Merkle rows they complete (levels >= 1,
    as the integrator stores them: a leaf is its event's)."""
    sha256 = hashlib.sha256
    append = tree.append
    events: list[ViewEvent] = []
    nodes: list[Node] = []
    for (segment, agency), stamp in zip(picks, _stamps(base, seq + 1, len(picks)), strict=True):
        seq += 1
        a, b, c, d, e = templates[agency]
        entry = f"{a}{segment}{b}{prev}{c}{seq}{d}{stamp}{e}".encode()
        prev = sha256(entry).hexdigest()
        events.append((seq, stamp, segment, agency, prev))
        nodes += append(sha256(b"\x00" + entry).digest())[1:]  # merkle.leaf_hash, inlined
    return events, nodes


def _stamps(base: dt.datetime, first: int, count: int) -> Iterator[str]:
    """The times of events ``first`` .. ``first + count - 1``, ``base`` (UTC, whole seconds)
    plus one microsecond per seq, as the entries write them (entry.utc_stamp); the date and
    time of day formatted once per second, not once per event."""
    second = None
    day = ""
    for seq in range(first, first + count):
        whole, micro = divmod(seq, 1_000_000)
        if whole != second:
            second = whole
            at = base + dt.timedelta(seconds=whole)
            day = at.isoformat(timespec="seconds").removesuffix("+00:00")
        yield f"{day}.{micro:06d}Z"


def _copy_prefixes(viewers: dict[int, Viewer]) -> dict[int, str]:
    """Each agency's fixed fields of a filler row in COPY's text format: actor_id, actor_label
    (a username: escaped), agency_id, action and object_type, each followed by its tab."""
    return {
        agency: (
            f"{v.user_id}\t{copy_field(v.username)}\t{agency}\t"
            f"{VIEW_ACTION.value}\t{VIEW_OBJECT_TYPE}\t"
        )
        for agency, v in viewers.items()
    }


def _copy_views(
    prefixes: dict[int, str], body: str, events: list[ViewEvent], nodes: list[Node], prev: str
) -> None:
    """COPY a chunk of filler events and their Merkle rows as text lines formatted here: the
    ints, the times (ISO 8601, ``Z``) and the hex digests need no escaping, the username and
    body were escaped once (``prefixes``, ``body``). Half the builder's time went to
    ``copy_rows``' dumping of each field through psycopg's adapters."""
    bytea = COPY_BYTEA_PREFIX
    lines = []
    for seq, stamp, segment, agency, digest in events:
        lines.append(
            f"{seq}\t{stamp}\t{prefixes[agency]}{segment}\t{body}\t{bytea}{prev}\t{bytea}{digest}\n"
        )
        prev = digest
    copy_text(Event._meta.db_table, EVENT_COLUMNS, ["".join(lines)])
    text = "".join(f"{level}\t{index}\t{bytea}{digest.hex()}\n" for level, index, digest in nodes)
    copy_text(SubtreeHash._meta.db_table, SUBTREE_COLUMNS, [text])


def _insert_views(
    viewers: dict[int, Viewer],
    body: str,
    base: dt.datetime,
    events: list[ViewEvent],
    nodes: list[Node],
    prev: str,
) -> None:
    """bulk_create a chunk of filler events and their Merkle rows (SQLite)."""
    rows = []
    for seq, _stamp, segment, agency, digest in events:
        viewer = viewers[agency]
        rows.append(
            (
                seq,
                base + dt.timedelta(microseconds=seq),
                viewer.user_id,
                viewer.username,
                agency,
                VIEW_ACTION.value,
                VIEW_OBJECT_TYPE,
                str(segment),
                body,
                to_digest(prev),
                to_digest(digest),
            )
        )
        prev = digest
    _flush(rows, nodes)
