"""Migration ledger/0011 stores the ledger's hashes as 32 bytes without changing one of them,
keeps the append-only guards, and goes back to hex text when reversed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from quancheng.ledger.entry import canonical_body, chain, content_of
from quancheng.ledger.models import GENESIS_HASH, Event, SubtreeHash
from quancheng.ledger.verify import verify_ledger
from quancheng.lib.merkle import CompactRange, leaf_hash

from . import tamper

BEFORE = [("ledger", "0010_named_lease")]
AFTER = [("ledger", "0011_hashes_as_bytes")]
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
EVENTS = 21  # subtrees up to level 4, a frontier of three


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _write_old_ledger(apps) -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str]]]:
    """Events, subtrees and head as the hex-text schema held them, through its models."""
    OldEvent = apps.get_model("ledger", "Event")
    OldSubtree = apps.get_model("ledger", "SubtreeHash")
    OldHead = apps.get_model("ledger", "LedgerHead")
    tree = CompactRange()
    prev = GENESIS_HASH
    events, subtrees = [], []
    body = canonical_body({"n": "案卷"})
    for seq in range(1, EVENTS + 1):
        time = T0 + dt.timedelta(seconds=seq)
        content = content_of(time, "system", None, "job.retried", "test", str(seq), body)
        entry, hash_ = chain(content, seq, prev)
        OldEvent.objects.create(
            seq=seq,
            time=time,
            actor_label="system",
            action="job.retried",
            object_type="test",
            object_id=str(seq),
            body=body,
            prev_hash=prev,
            hash=hash_,
        )
        events.append((seq, prev, hash_))
        for s in tree.append(leaf_hash(entry)):
            OldSubtree.objects.create(level=s.level, index=s.index, hash=s.hash.hex())
            subtrees.append((s.level, s.index, s.hash.hex()))
        prev = hash_
    OldHead.objects.update_or_create(
        id=1,
        defaults={"seq": EVENTS, "hash": prev, "frontier": [s.hash.hex() for s in tree.frontier]},
    )
    return events, sorted(subtrees)


def _stored() -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str]]]:
    events = list(Event.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    subtrees = list(
        SubtreeHash.objects.order_by("level", "index").values_list("level", "index", "hash")
    )
    return events, sorted(subtrees)


def _raw_hash_column() -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM ledger_event WHERE seq = 1")
        return cursor.fetchone()[0]


def _guards() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text "
                "LIKE 'ledger_%' ORDER BY tgname"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        return [row[0] for row in cursor.fetchall()]


def _empty_ledger() -> None:
    # SQLite's flush after a transactional test deletes rows, which the triggers refuse.
    with transaction.atomic(), tamper.triggers_off():  # savepoint: tests only
        for table in ("ledger_event", "ledger_subtreehash", "ledger_ledgerhead"):
            tamper.sql(f"DELETE FROM {table}")  # noqa: S608


@pytest.fixture
def old_ledger():
    """The ledger at 0010 with events in it; afterwards the latest schema, emptied."""
    guards = _guards()
    apps = _migrate(BEFORE)
    try:
        yield apps, guards
    finally:
        _empty_ledger()
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_every_hash_survives_the_conversion_to_bytes_and_back(old_ledger):
    apps, guards = old_ledger
    with transaction.atomic():  # not durable: a test's setup through historical models
        events, subtrees = _write_old_ledger(apps)

    _migrate(AFTER)

    assert _stored() == (events, subtrees)
    assert bytes(_raw_hash_column()) == bytes.fromhex(events[0][2])  # 32 bytes, not text
    report = verify_ledger()
    assert report.ok and report.size == EVENTS, report.summary()
    assert _guards() == guards
    with pytest.raises(DatabaseError), transaction.atomic():  # savepoint: expect the refusal
        tamper.sql("UPDATE ledger_event SET body = 'x' WHERE seq = 1")

    _migrate(BEFORE)  # and back: hex text again, the same values

    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, prev_hash, hash FROM ledger_event ORDER BY seq")
        assert [tuple(row) for row in cursor.fetchall()] == events
        cursor.execute(
            'SELECT level, "index", hash FROM ledger_subtreehash ORDER BY level, "index"'
        )
        assert [tuple(row) for row in cursor.fetchall()] == subtrees


@pytest.mark.django_db(transaction=True)
def test_a_hash_that_is_not_lowercase_hex_stops_the_migration_unconverted(old_ledger):
    apps, _ = old_ledger
    with transaction.atomic():  # not durable: a test's setup through historical models
        events, _ = _write_old_ledger(apps)
        with tamper.triggers_off():
            tamper.sql("UPDATE ledger_event SET hash = %s WHERE seq = 3", [events[2][2].upper()])

    with pytest.raises(RuntimeError, match="not a lowercase hex SHA-256 digest"):
        _migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM ledger_event WHERE seq = 4")
        assert cursor.fetchone()[0] == events[3][2]  # still the hex text
