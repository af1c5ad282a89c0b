"""record_event: the one function through which anything is written to the ledger."""

import datetime as dt
import hashlib
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from quancheng.lib.canonical import canonical_bytes
from quancheng.lib.merkle import CompactRange, leaf_hash

from .models import Event, LedgerHead, SubtreeHash


class LedgerOutsideTransaction(RuntimeError):
    pass


def in_own_transaction() -> bool:
    """True inside a transaction.atomic() block that the code itself opened.

    A test case's wrapping transaction (Django's TestCase, pytest-django's `db`) does not count:
    in production there is none, and an event written there would commit on its own, apart from
    the change it records. Counting it would let a test pass where production fails.
    """
    if not connection.in_atomic_block:
        return False
    return any(not block._from_testcase for block in connection.atomic_blocks)


def require_own_transaction(name: str) -> None:
    if not in_own_transaction():
        raise LedgerOutsideTransaction(f"{name} must run inside the change's transaction")


def _object_ref(obj: models.Model | None, object_type: str, object_id: str) -> tuple[str, str]:
    if obj is not None:
        return obj._meta.label_lower, str(obj.pk)
    return object_type, object_id


def record_event(
    actor,
    action: str,
    obj: models.Model | None = None,
    body: dict[str, Any] | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    agency=None,
) -> Event:
    """Append one event in the caller's transaction.

    It must be called inside transaction.atomic(): the event and the change it records commit
    together or not at all.
    """
    require_own_transaction("record_event")
    object_type, object_id = _object_ref(obj, object_type, object_id)
    if agency is None and obj is not None:
        agency = getattr(obj, "agency", None)
    if agency is None and actor is not None and getattr(actor, "is_authenticated", False):
        agency = actor.agency
    body_text = canonical_bytes(body or {}).decode()

    # 1. Lock the head row: concurrent appends queue here (SQLite runs IMMEDIATE transactions).
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    # 2. Build the event on top of the head and hash it.
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = Event(
        seq=head.seq + 1,
        time=timezone.now().astimezone(dt.UTC),
        actor=actor if is_user else None,
        actor_label=actor.get_username() if is_user else "system",
        agency=agency,
        action=action,
        object_type=object_type,
        object_id=object_id,
        body=body_text,
        prev_hash=head.hash,
    )
    entry = event.entry_bytes()
    event.hash = hashlib.sha256(entry).hexdigest()
    event.save()
    # 3. Grow the Merkle tree: store the aligned subtrees this leaf completes (about two rows per
    # event on average) and keep the compact range in the head.
    tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
    completed = tree.append(leaf_hash(entry))
    SubtreeHash.objects.bulk_create(
        [SubtreeHash(level=s.level, index=s.index, hash=s.hash.hex()) for s in completed]
    )
    # 4. Move the head.
    LedgerHead.objects.filter(id=1).update(
        seq=event.seq, hash=event.hash, frontier=[s.hash.hex() for s in tree.frontier]
    )
    return event


def record_atomic(actor, action: str, obj=None, body=None, **kwargs) -> Event:
    """record_event in a transaction of its own, for events with no other change (logins)."""
    with transaction.atomic():
        return record_event(actor, action, obj, body, **kwargs)


def verify_chain() -> int | None:
    """The first sequence number whose hash or link is wrong, or None when the chain holds."""
    prev = "0" * 64
    expected_seq = 1
    for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq or event.prev_hash != prev:
            return expected_seq
        if event.compute_hash() != event.hash:
            return event.seq
        prev = event.hash
        expected_seq += 1
    return None
