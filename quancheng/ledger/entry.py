"""The ledger's one event builder: what an event holds, its entry bytes and its hash.

Every writer of the ledger goes through here: ``services.record_event`` (one event, staged in
the change's transaction), the integrator (which binds a staged event's ``seq`` and ``prev``)
and ``bulk.append_events`` / ``bulk.append_views`` (many generated events at once). So an event
is built once, the same way, whoever writes it:

- :func:`build_content` resolves who, what and about what into an :class:`EventContent`: the
  actor's username (or ``system``), the agency, the catalogue's action (``actions.Action``, a
  plain string is refused), the object as (type, id), the body as canonical JSON text and the
  time in UTC;
- :func:`content_hash` is the SHA-256 a staged row keeps of that content;
- :func:`entry_bytes` is the hashed entry (the content with ``seq`` and ``prev``), as RFC 8785
  (JCS) bytes from ``quancheng.lib.canonical``; :func:`chain` gives those bytes and their hash.

No module outside ``quancheng/ledger/`` builds entry bytes or canonicalises an event's body
(``ledger/tests/test_entry.py`` walks the source for it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from quancheng.lib.canonical import canonical_bytes, canonical_flat

from .actions import Action

if TYPE_CHECKING:
    from quancheng.orgs.models import User  # type-only: the ledger stores people by label


def utc_stamp(value: dt.datetime | str) -> str:
    """A time as the ledger's entries write it: UTC, microseconds, ``Z``.

    A naive datetime is UTC (SQLite's cursor gives it so), a string is ISO 8601 (a backend
    without the datetime converter)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.isoformat(timespec="microseconds") + "Z"
    if value.utcoffset():
        value = value.astimezone(dt.UTC)
    return value.isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical_body(body: dict[str, Any] | None) -> str:
    """An event's body as stored and hashed: canonical JSON (JCS) text."""
    return canonical_bytes(body or {}).decode()


def require_action(action: Any) -> Action:
    """The catalogue's member; anything else, a plain string included (even one the catalogue
    holds), is a TypeError: every writer names its action as ``Action.X`` or ``Action(value)``."""
    if not isinstance(action, Action):
        raise TypeError(
            f"a ledger action is a member of quancheng.ledger.actions.Action, not {action!r}"
        )
    return action


@dataclass(frozen=True, slots=True)
class EventContent:
    """What a change's transaction fixes about its event: everything but ``seq`` and ``prev``."""

    time: dt.datetime  # aware, UTC
    actor_id: int | None
    actor_label: str
    agency_id: int | None
    action: Action
    object_type: str
    object_id: str
    body: str  # canonical JSON text

    def content(self) -> dict[str, Any]:
        return content_of(
            self.time,
            self.actor_label,
            self.agency_id,
            self.action,
            self.object_type,
            self.object_id,
            self.body,
        )


def build_content(
    actor: User | None,
    action: Action,
    *,
    object_type: str = "",
    object_id: str = "",
    body: dict[str, Any] | None = None,
    agency_id: int | None = None,
    time: dt.datetime | None = None,
) -> EventContent:
    """The content of one event: the actor (a user, or None for the system), the catalogue's
    action, the object as (type, id), the body (a dict, canonicalised here) and the agency's id
    already resolved; ``time`` defaults to now."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return EventContent(
        time=(time or timezone.now()).astimezone(dt.UTC),
        actor_id=user.pk if user is not None else None,
        actor_label=user.get_username() if user is not None else "system",
        agency_id=agency_id,
        action=require_action(action),
        object_type=object_type,
        object_id=str(object_id),
        body=canonical_body(body),
    )


def content_of(time, actor_label, agency_id, action, object_type, object_id, body) -> dict:
    """The staged content as a dict (the keys of an entry but ``seq`` and ``prev``)."""
    return {
        "time": utc_stamp(time),
        "actor": actor_label,
        "agency": agency_id,
        "action": str(action),
        "object_type": object_type,
        "object_id": object_id,
        "body": body,
    }


def staged_content(event) -> dict:
    """The content of an event-like object (a StagedEvent, an Event)."""
    return content_of(
        event.time,
        event.actor_label,
        event.agency_id,
        event.action,
        event.object_type,
        event.object_id,
        event.body,
    )


def event_entry(event) -> dict:
    """The hashed entry of an event-like object (also used by migrations' historical models)."""
    return entry_of(staged_content(event), event.seq, event.prev_hash)


def entry_of(content: dict, seq: int, prev: str) -> dict:
    """The hashed entry: the content with the event's ``seq`` and the previous event's hash."""
    return {**content, "seq": seq, "prev": prev}


def content_hash(content: dict) -> str:
    """SHA-256 of the content's canonical bytes (what a staged row keeps and the integrator
    checks)."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def entry_bytes(content: dict, seq: int, prev: str) -> bytes:
    """The entry's canonical (JCS) bytes: what is hashed, and the Merkle leaf's data."""
    return canonical_flat(entry_of(content, seq, prev))


def chain(content: dict, seq: int, prev: str) -> tuple[bytes, str]:
    """The entry bytes of ``content`` as event ``seq`` after ``prev``, and their SHA-256."""
    entry = entry_bytes(content, seq, prev)
    return entry, hashlib.sha256(entry).hexdigest()


def entry_template(content: dict) -> tuple[bytes, bytes, bytes, bytes, bytes]:
    """The entry bytes of ``content`` cut where ``object_id``, ``prev``, ``seq`` and ``time``
    go, for a writer of many events that differ only there (``bulk.append_views``): the parts
    ``a, b, c, d, e`` give ``a + object_id + b + prev + c + seq + d + time + e``, the bytes
    :func:`entry_bytes` writes for those values when they need no escaping (ASCII digits and
    letters; a test compares the two). The one encoder writes the template itself.
    """
    marks = [f"@@quancheng-{name}@@" for name in ("object_id", "prev", "seq", "time")]
    probe = {**content, "object_id": marks[0], "prev": marks[1], "seq": marks[2], "time": marks[3]}
    rest = canonical_bytes(probe).replace(f'"{marks[2]}"'.encode(), marks[2].encode())
    parts = []
    for mark in marks:  # JCS sorts the keys: object_id, prev, seq, time come in this order
        head, rest = rest.split(mark.encode())
        parts.append(head)
    a, b, c, d = parts
    return a, b, c, d, rest
