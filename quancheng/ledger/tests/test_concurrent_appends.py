"""Parallel writers on PostgreSQL never fork the chain."""

import threading

import pytest
from django.db import connection, connections

from quancheng.ledger.models import Event
from quancheng.ledger.services import record_atomic, verify_chain

WRITERS = 8
EVENTS_EACH = 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises writers itself)")
    start = threading.Barrier(WRITERS)
    failures = []

    def write(writer):
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                record_atomic(
                    None,
                    "test.parallel",
                    None,
                    {"writer": writer, "i": i},
                    object_type="test",
                    object_id=str(writer),
                )
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    events = list(Event.objects.order_by("seq"))
    assert len(events) == WRITERS * EVENTS_EACH
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.prev_hash for e in events}) == len(events)
    assert verify_chain() is None
