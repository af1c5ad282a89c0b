"""Appending many ledger events at once, for generated data (the demo city, benchmarks).

``append_events`` writes exactly the rows that one ``record_event`` call per event would write -
the same entry bytes and hash chain, the same ``SubtreeHash`` rows, the same ``LedgerHead`` -
but a chunk of rows per INSERT instead of three statements per event. Like record_event it runs
inside the caller's transaction, so the events commit with the rows they describe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from quancheng.ledger.models import Event, LedgerHead, SubtreeHash
from quancheng.ledger.services import require_own_transaction
from quancheng.lib.canonical import canonical_bytes
from quancheng.lib.merkle import CompactRange, leaf_hash

CHUNK = 5000


@dataclass
class EventSpec:
    """What record_event takes, resolved: the object as (type, id), the agency as an id."""

    action: str
    object_type: str
    object_id: str
    body: dict[str, Any] = field(default_factory=dict)
    actor: Any = None  # a User or None (system)
    agency_id: int | None = None
    time: dt.datetime | None = None  # default: now, as record_event


def spec_for(actor, action: str, obj, body: dict | None = None, agency_id=None) -> EventSpec:
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


def append_events(specs: Iterable[EventSpec], chunk: int = CHUNK) -> int:
    """Append the events in order on top of the ledger's head; return how many were appended."""
    require_own_transaction("append_events")
    # 1. Lock the head, as record_event does: concurrent appends queue behind this one.
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    seq, prev = head.seq, head.hash
    events: list[Event] = []
    subtrees: list[SubtreeHash] = []
    count = 0
    for spec in specs:
        # 2. Each event is built and hashed exactly as record_event builds it.
        seq += 1
        is_user = spec.actor is not None and getattr(spec.actor, "is_authenticated", False)
        event = Event(
            seq=seq,
            time=(spec.time or timezone.now()).astimezone(dt.UTC),
            actor=spec.actor if is_user else None,
            actor_label=spec.actor.get_username() if is_user else "system",
            agency_id=spec.agency_id,
            action=str(spec.action),
            object_type=spec.object_type,
            object_id=spec.object_id,
            body=canonical_bytes(spec.body).decode(),
            prev_hash=prev,
        )
        entry = event.entry_bytes()
        event.hash = prev = hashlib.sha256(entry).hexdigest()
        events.append(event)
        subtrees.extend(
            SubtreeHash(level=s.level, index=s.index, hash=s.hash.hex())
            for s in tree.append(leaf_hash(entry))
        )
        count += 1
        if len(events) >= chunk:
            _flush(events, subtrees)
    _flush(events, subtrees)
    # 3. Move the head once, to where the last record_event would have left it.
    if count:
        LedgerHead.objects.filter(id=1).update(
            seq=seq, hash=prev, frontier=[s.hash.hex() for s in tree.frontier]
        )
    return count


def _flush(events: list[Event], subtrees: list[SubtreeHash]) -> None:
    Event.objects.bulk_create(events)
    SubtreeHash.objects.bulk_create(subtrees)
    events.clear()
    subtrees.clear()
