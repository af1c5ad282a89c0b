"""The ledger's integrator (整合器): binds staged events into the chain and the Merkle tree.

A change's transaction only inserts a :class:`~quancheng.ledger.models.StagedEvent` (its content
and the content's hash; services.record_event), so writers never queue on a shared row. The
integrator, one at a time (the ``ledger.integrator`` lease, ledger/leases.py), takes the
committed staged rows in id order, a batch per transaction, and for each:

1. checks its content hash (a staged row changed behind the platform's back stops integration);
2. gives it the next ``seq`` and the previous event's hash as ``prev``, hashes the entry;
3. appends its leaf to the Merkle tree's compact range, storing the completed subtrees of two
   leaves or more (a leaf is computed from its event when needed: ledger/tree.py);

then inserts the events (``staged_id`` = the staged row), deletes the staged rows and moves the
head, all in the one transaction. A crash anywhere rolls the batch back whole: each committed
event is integrated exactly once (the staged row is gone only with its Event; ``Event.staged_id``
is unique), in one order.

The lease's row is locked for the whole batch (the fence: two batches never overlap, whoever
holds the lease), and its holder and expiry carry the role from one batch to the next: a
long-running integrator (``manage.py ledger_integrator``, or the thread every ``db_worker``
starts) keeps it while alive, and another takes over once the lease has expired. When no
integrator holds it, a commit that staged events integrates them itself right after the commit
(``integrate_after_commit``), so a single process needs no integrator at all.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import connection, transaction

from quancheng.lib.merkle import CompactRange, leaf_hash

from . import leases
from .entry import chain, content_hash, content_of
from .fields import to_digest
from .models import Event, LedgerHead, StagedEvent, SubtreeHash
from .services import in_own_transaction

log = logging.getLogger(__name__)

LEASE = "ledger.integrator"


class StagedEventTampered(RuntimeError):
    """A staged row's content no longer matches the hash its transaction stored."""


class IntegrationTimeout(TimeoutError):
    """The event was not integrated within the time the caller would wait."""


def lease_seconds() -> int:
    return settings.QC_LEDGER_INTEGRATOR_LEASE_SECONDS


def holder_name(role: str = "loop") -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{role}"


# --- one batch ----------------------------------------------------------------------------------


def _lock_lease_row() -> None:
    """Wait for the lease's row lock (the fence), whoever holds the lease."""
    leases.lock(LEASE)


_EVENT_COLUMNS = (
    "seq, time, actor_id, actor_label, agency_id, action, object_type, object_id, body, "
    "prev_hash, hash, staged_id"
)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _insert_events(cursor, staged_table: str, event_table: str, events: list[tuple]) -> None:
    """Each (seq, prev, hash, staged id) as an Event copied from its staged row on the database
    side: on PostgreSQL one statement over arrays, elsewhere executemany (in-process). The
    hashes are hex; the columns hold their 32 bytes (fields.Sha256Field)."""
    events = [(seq, to_digest(prev), to_digest(hash_), pk) for seq, prev, hash_, pk in events]
    if _postgres():
        seqs, prevs, hashes, ids = (list(column) for column in zip(*events, strict=True))
        cursor.execute(
            f"INSERT INTO {event_table} ({_EVENT_COLUMNS}) "  # noqa: S608
            f"SELECT v.seq, s.time, s.actor_id, s.actor_label, s.agency_id, s.action, "
            f"s.object_type, s.object_id, s.body, v.prev_hash, v.hash, s.id "
            f"FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[], %s::bigint[]) "
            f"AS v(seq, prev_hash, hash, staged_id) JOIN {staged_table} s ON s.id = v.staged_id",
            [seqs, prevs, hashes, ids],
        )
        if cursor.rowcount != len(ids):
            raise StagedEventTampered("staged events vanished while being integrated")
        return
    cursor.executemany(
        f"INSERT INTO {event_table} ({_EVENT_COLUMNS}) "  # noqa: S608
        f"SELECT %s, time, actor_id, actor_label, agency_id, action, object_type, object_id, "
        f"body, %s, %s, %s FROM {staged_table} WHERE id = %s",
        [(seq, prev, hash_, pk, pk) for seq, prev, hash_, pk in events],
    )


def _insert_subtrees(cursor, subtrees: list[tuple]) -> None:
    """The completed subtrees (levels >= 1), (level, index, hash as its 32 bytes) each."""
    if not subtrees:
        return
    qn = connection.ops.quote_name
    insert = (
        f"INSERT INTO {qn(SubtreeHash._meta.db_table)} "
        f"({qn('level')}, {qn('index')}, {qn('hash')}) "
    )
    if _postgres():
        levels, indexes, values = (list(column) for column in zip(*subtrees, strict=True))
        cursor.execute(
            insert + "SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[])",  # noqa: S608
            [levels, indexes, values],
        )
    else:
        cursor.executemany(insert + "VALUES (%s, %s, %s)", subtrees)


def _delete_staged(cursor, staged_table: str, ids: list[int]) -> None:
    # The triggers let a staged row go only once its Event exists (written before this).
    if _postgres():
        cursor.execute(f"DELETE FROM {staged_table} WHERE id = ANY(%s::bigint[])", [ids])  # noqa: S608
    else:
        cursor.executemany(f"DELETE FROM {staged_table} WHERE id = %s", [(i,) for i in ids])  # noqa: S608


def integrate_batch(limit: int | None = None) -> int:
    """Integrate up to ``limit`` staged events in the caller's transaction; how many.

    The caller holds the lease's row lock (``hold`` or ``_lock_lease_row``). Plain SQL, a
    constant number of statements per batch: one read of the staged rows, the events copied
    from them by ``INSERT ... SELECT`` (executemany: the content never passes back through
    Python), the completed subtrees, the staged rows' delete and the head.
    """
    limit = limit or settings.QC_LEDGER_INTEGRATOR_BATCH
    qn = connection.ops.quote_name
    staged_table, event_table = qn(StagedEvent._meta.db_table), qn(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, time, actor_label, agency_id, action, object_type, object_id, body, "  # noqa: S608
            f"content_hash FROM {staged_table} ORDER BY id LIMIT %s",
            [limit],
        )
        staged = cursor.fetchall()
        if not staged:
            return 0
        head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
        tree = CompactRange(head.seq, [bytes.fromhex(h) for h in head.frontier])
        seq, prev = head.seq, head.hash
        events, subtrees = [], []
        for pk, time_, actor, agency, action, object_type, object_id, body, stored_hash in staged:
            content = content_of(time_, actor, agency, action, object_type, object_id, body)
            if content_hash(content) != stored_hash:
                raise StagedEventTampered(f"staged event {pk}: content does not match its hash")
            seq += 1
            entry, hash_ = chain(content, seq, prev)
            events.append((seq, prev, hash_, pk))
            prev = hash_
            # The nodes of two leaves or more; a leaf is its event's (ledger/tree.py).
            subtrees.extend(tree.append(leaf_hash(entry))[1:])
        _insert_events(cursor, staged_table, event_table, events)
        _insert_subtrees(cursor, [(s.level, s.index, s.hash) for s in subtrees])
        _delete_staged(cursor, staged_table, [event[3] for event in events])
    LedgerHead.objects.filter(id=1).update(
        seq=seq, hash=prev, frontier=[s.hash.hex() for s in tree.frontier]
    )
    return len(staged)


def integrate_pending(holder: str, *, wait: bool = False, keep: bool = True) -> int | None:
    """Integrate everything staged so far, a batch per transaction, as ``holder``.

    None when another holds the lease (or, with ``wait=False``, is busy with a batch). With
    ``keep=False`` the lease is given up in the last batch's transaction (a one-off run after a
    commit must not keep a standing integrator waiting for its expiry).
    """
    total = 0
    batch = settings.QC_LEDGER_INTEGRATOR_BATCH
    while True:
        with transaction.atomic(durable=True):
            if leases.hold(LEASE, holder, lease_seconds(), wait=wait) is None:
                return None if total == 0 else total
            done = integrate_batch(batch)
            if not keep and done < batch:
                leases.let_go(LEASE, holder)
        total += done
        if done < batch:
            return total


def integrate_in_transaction() -> int:
    """Integrate every staged event the caller's transaction sees, its own included.

    For the rare change that must write its event's seq in the same transaction (a disposal's
    tombstone, a fixity alert): it waits for the lease's row (any running batch) and holds it
    until the caller commits, like the single head lock of old, but only for these callers.
    """
    _lock_lease_row()
    total = 0
    while done := integrate_batch():
        total += done
    return total


# --- after a commit -----------------------------------------------------------------------------


def integrate_after_commit() -> None:
    """The on_commit hook of a transaction that staged events: integrate them now unless an
    integrator holds the lease or is busy (never waits for it)."""
    try:
        integrate_pending(holder_name("commit"), wait=False, keep=False)
    except Exception:  # the change is committed; a standing integrator will catch up
        log.exception("integrating the ledger after a commit failed")


def wait_for_event(staged: StagedEvent, timeout: float = 10.0, poll: float = 0.05) -> Event:
    """The integrated Event of ``staged`` once its transaction has committed; helps integrate
    when no integrator is busy, and raises IntegrationTimeout after ``timeout`` seconds."""
    staged._check_committed("integrated event")
    deadline = time.monotonic() + timeout
    while True:
        if not in_own_transaction():
            integrate_pending(holder_name("wait"), wait=False, keep=False)
        event = Event.objects.filter(staged_id=staged.pk).first()
        if event is not None:
            staged._event = event
            return event
        if not StagedEvent.objects.filter(pk=staged.pk).exists() and not (
            Event.objects.filter(staged_id=staged.pk).exists()
        ):
            raise LookupError(f"staged event {staged.pk} was never committed")
        if time.monotonic() >= deadline:
            raise IntegrationTimeout(f"staged event {staged.pk} not integrated within {timeout} s")
        time.sleep(poll)


# --- the standing integrator ---------------------------------------------------------------------


class Integrator:
    """The loop of ``manage.py ledger_integrator`` and of each worker's integrator thread."""

    def __init__(self, holder: str | None = None, interval: float | None = None):
        self.holder = holder or holder_name()
        self.interval = (
            settings.QC_LEDGER_INTEGRATOR_INTERVAL_MS / 1000 if interval is None else interval
        )
        self.stopped = threading.Event()
        self.integrated = 0
        self.renewed_at = float("-inf")

    def step(self) -> int | None:
        """One round: take or renew the lease and integrate what is staged (None: not ours).

        An idle round whose lease is still fresh (less than a third used) only reads: on SQLite
        every write transaction takes the database's one write lock from the writers.
        """
        fresh = time.monotonic() - self.renewed_at < lease_seconds() / 3
        if fresh and not StagedEvent.objects.exists():
            return 0
        done = integrate_pending(self.holder, wait=False, keep=True)
        if done is not None:
            self.renewed_at = time.monotonic()
        if done:
            self.integrated += done
        return done

    def run(self, *, until_idle: bool = False) -> None:
        try:
            while not self.stopped.is_set():
                try:
                    done = self.step()
                except Exception:  # a database hiccup: try again after a pause
                    log.exception("ledger integrator %s", self.holder)
                    done = None
                if until_idle and done == 0:
                    return
                if not done:
                    self.stopped.wait(self.interval)
        finally:
            try:
                # Stopping cleanly: integrate what the last commits staged (their own hooks
                # left it to this holder), then give the lease up.
                self.step()
            except Exception:
                log.exception("ledger integrator %s: the last round failed", self.holder)
            try:
                leases.let_go(LEASE, self.holder)
            except Exception:
                log.exception("ledger integrator %s: giving the lease up failed", self.holder)

    def stop(self) -> None:
        self.stopped.set()


class IntegratorThread(threading.Thread):
    """A standing integrator inside another process (each db_worker starts one)."""

    def __init__(self, name: str):
        super().__init__(name=f"ledger-integrator-{name}", daemon=True)
        self.integrator = Integrator(holder_name(f"worker-{name}"))

    def run(self) -> None:
        try:
            self.integrator.run()
        finally:
            connection.close()

    def stop(self) -> None:
        self.integrator.stop()
