"""The ledger's first part: one append function, hash links, append-only at two levels."""

import hashlib

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from quancheng.ledger.models import GENESIS_HASH, Event, LedgerIsAppendOnly
from quancheng.ledger.services import (
    LedgerOutsideTransaction,
    record_atomic,
    record_event,
    verify_chain,
)
from quancheng.lib.canonical import canonical_bytes

pytestmark = pytest.mark.django_db


def test_events_are_linked_by_sha256_of_their_canonical_entry(officer):
    first = record_atomic(officer, "test.first", officer, {"a": 1})
    second = record_atomic(
        officer, "test.second", None, {"b": "中文"}, object_type="x", object_id="7"
    )
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert first.hash == hashlib.sha256(canonical_bytes(first.entry())).hexdigest()
    assert '"body":"{\\"b\\":\\"中文\\"}"' in second.entry_bytes().decode()


def test_the_event_time_is_inside_the_hashed_entry(officer):
    event = record_atomic(officer, "test.time", officer, {})
    assert event.entry()["time"].endswith("Z")
    stored = Event.objects.get(seq=event.seq)
    assert stored.compute_hash() == event.hash


def test_first_event_links_to_the_genesis_hash(officer):
    first = Event.objects.order_by("seq").first()
    assert first.seq == 1
    assert first.prev_hash == GENESIS_HASH


def test_record_event_refuses_to_run_outside_a_transaction(officer):
    # The test's own wrapping transaction (pytest-django's `db`) does not count: in production
    # there is none, and the event would commit apart from its change.
    assert connection.in_atomic_block
    with pytest.raises(LedgerOutsideTransaction):
        record_event(officer, "test.outside", officer, {})


def test_record_event_runs_inside_a_transaction_the_code_opened(officer):
    with transaction.atomic():
        event = record_event(officer, "test.inside", officer, {})
    assert Event.objects.filter(seq=event.seq).exists()


def test_an_event_rolls_back_with_its_change(officer):
    count = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the rollback inside the block is what is tested
        record_event(officer, "test.rolled_back", officer, {})
        raise RuntimeError("the change failed")
    assert Event.objects.count() == count


def test_the_model_refuses_update_and_delete(officer):
    event = record_atomic(officer, "test.guard", officer, {})
    event.action = "test.forged"
    with pytest.raises(LedgerIsAppendOnly):
        event.save()
    with pytest.raises(LedgerIsAppendOnly):
        event.delete()
    with pytest.raises(LedgerIsAppendOnly):
        Event.objects.filter(seq=event.seq).update(action="test.forged")
    with pytest.raises(LedgerIsAppendOnly):
        Event.objects.filter(seq=event.seq).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_event SET action = 'test.forged' WHERE seq = %s",
        "DELETE FROM ledger_event WHERE seq = %s",
    ],
)
def test_the_database_refuses_update_and_delete(officer, sql):
    event = record_atomic(officer, "test.guard", officer, {})
    with (
        pytest.raises((IntegrityError, DatabaseError)) as raised,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.seq])
    assert "append-only" in str(raised.value)
    assert Event.objects.get(seq=event.seq).action == "test.guard"


def test_verify_chain_finds_the_first_bad_event(officer, monkeypatch):
    for i in range(3):
        record_atomic(officer, f"test.{i}", officer, {"i": i})
    assert verify_chain() is None
    bad = Event.objects.order_by("-seq")[1]
    original = Event.compute_hash

    def forged(self):
        return "f" * 64 if self.seq == bad.seq else original(self)

    monkeypatch.setattr(Event, "compute_hash", forged)
    assert verify_chain() == bad.seq


def test_canonical_json_refuses_nan():
    with pytest.raises(TypeError):
        canonical_bytes({"x": float("nan")})
