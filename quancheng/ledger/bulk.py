"""Appending many ledger events at once, for generated data (the demo city, benchmarks).

``append_events`` writes exactly the rows that one ``record_event`` call per event would write
once integrated - the same entry bytes and hash chain, the same ``SubtreeHash`` rows (levels
>= 1: no leaf rows), the same ``LedgerHead`` - but a chunk of rows per COPY (PostgreSQL) or
INSERT (SQLite) instead of statements per event. Each event is built by the ledger's one event
builder (``entry.py``, shared with ``record_event`` and the integrator). ``append_views`` does
the same for the filler of a generated city's ledger (``segment.viewed`` events), from a
template of the entry that the same builder writes, at the speed of the hashing.
Like record_event they run inside the caller's transaction: the events commit with their rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quancheng.lib.copyload import copy_rows, copy_supported
from quancheng.lib.merkle import CompactRange, leaf_hash

from .actions import Action
from .entry import build_content, canonical_body, chain, content_of, entry_template
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


def append_events(specs: Iterable[EventSpec], chunk: int = CHUNK) -> int:
    """Append the events in order on top of the ledger's head; return how many were appended.

    On PostgreSQL the rows go by COPY (copyload.copy_rows), elsewhere by bulk_create.
    """
    require_own_transaction("append_events")
    # 1. Lock the head, as the integrator does: concurrent appends queue behind this one.
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    seq, prev = head.seq, head.hash
    events: list[tuple] = []
    subtrees: list[tuple] = []
    count = 0
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
        entry, digest = chain(event.content(), seq, prev)
        events.append(
            (
                seq,
                event.time,
                event.actor_id,
                event.actor_label,
                event.agency_id,
                event.action.value,
                event.object_type,
                event.object_id,
                event.body,
                to_digest(prev),  # the columns hold the 32 bytes (fields.Sha256Field)
                to_digest(digest),
            )
        )
        prev = digest
        # Levels >= 1 only, as the integrator: a leaf is its event's (ledger/tree.py).
        completed = tree.append(leaf_hash(entry))[1:]
        subtrees.extend((s.level, s.index, s.hash) for s in completed)
        count += 1
        if len(events) >= chunk:
            _flush(events, subtrees)
    _flush(events, subtrees)
    # 3. Move the head once, to where one-by-one appends would have left it.
    if count:
        LedgerHead.objects.filter(id=1).update(
            seq=seq, hash=prev, frontier=[s.hash.hex() for s in tree.frontier]
        )
    return count


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
    of a generated city's ledger. Runs in the caller's transaction; ``progress`` gets the
    number of events of each written chunk.
    """
    require_own_transaction("append_views")
    rng = random.Random(seed)  # noqa: S311 - which segments the filler views
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    seq, prev = head.seq, head.hash
    prev_digest = to_digest(prev)  # the columns hold the 32 bytes (fields.Sha256Field)
    body = canonical_body({"via": "demo-city"})
    # The entry of each viewer's agency, cut where object_id, prev, seq and time go: the one
    # builder's bytes for the event (entry.entry_template), filled in below.
    action = Action.SEGMENT_VIEWED
    templates = {
        agency: entry_template(
            content_of(time, v.username, agency, action, "records.segment", "", body)
        )
        for agency, v in viewers.items()
    }
    base = time.astimezone(dt.UTC).replace(microsecond=0)
    sha256 = hashlib.sha256
    leaf_prefix = b"\x00"
    event_table, subtree_table = Event._meta.db_table, SubtreeHash._meta.db_table
    written = 0
    while written < count:
        n = min(VIEW_CHUNK, count - written)
        events: list = []
        subtrees: list = []
        for _ in range(n):
            seq += 1
            segment, agency = targets[rng.randrange(len(targets))]
            viewer = viewers[agency]
            at = base + dt.timedelta(microseconds=seq)
            stamp = at.isoformat(timespec="microseconds").replace("+00:00", "Z").encode()
            a, b, c, d, e = templates[agency]
            entry = b"".join(
                (a, str(segment).encode(), b, prev.encode(), c, str(seq).encode(), d, stamp, e)
            )
            digest = sha256(entry).digest()
            events.append(
                (
                    seq,
                    at,
                    viewer.user_id,
                    viewer.username,
                    agency,
                    action.value,
                    "records.segment",
                    str(segment),
                    body,
                    prev_digest,
                    digest,
                )
            )
            prev, prev_digest = digest.hex(), digest
            subtrees.extend(
                (s.level, s.index, s.hash)
                for s in tree.append(sha256(leaf_prefix + entry).digest())[1:]
            )
        if copy_supported():
            copy_rows(event_table, EVENT_COLUMNS, events)
            copy_rows(subtree_table, SUBTREE_COLUMNS, subtrees)
        else:
            _flush(events, subtrees)
        written += n
        if progress:
            progress(n)
    if count:
        LedgerHead.objects.filter(id=1).update(
            seq=seq, hash=prev, frontier=[s.hash.hex() for s in tree.frontier]
        )
    return count
