"""Sha256Field: the ledger's hashes stored as 32 bytes and read as the same lowercase hex."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from quancheng.ledger.actions import Action
from quancheng.ledger.fields import Sha256Field, to_digest
from quancheng.ledger.models import GENESIS_HASH, Event, SubtreeHash
from quancheng.ledger.services import record_event

pytestmark = pytest.mark.django_db


def _log(n: int) -> list[Event]:
    for i in range(n):
        with transaction.atomic():
            record_event(None, Action.JOB_RETRIED, body={"i": i}, object_type="t", object_id=str(i))
    return list(Event.objects.order_by("seq"))


def test_the_columns_hold_32_bytes_and_python_reads_the_hex():
    first, second = _log(2)
    assert first.hash == first.compute_hash() and len(first.hash) == 64
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT prev_hash, hash FROM ledger_event WHERE seq = 2")
        prev, own = cursor.fetchone()
        cursor.execute("SELECT hash FROM ledger_subtreehash WHERE level = 1 LIMIT 1")
        (leaf,) = cursor.fetchone()
    assert (bytes(prev), bytes(own)) == (bytes.fromhex(first.hash), bytes.fromhex(second.hash))
    assert len(bytes(leaf)) == 32
    assert all(len(h) == 64 for h in SubtreeHash.objects.values_list("hash", flat=True))


def test_lookups_take_the_hex_or_the_bytes():
    first, second, third = _log(3)
    assert Event.objects.get(hash=second.hash).seq == 2
    assert Event.objects.get(hash=bytes.fromhex(second.hash)).seq == 2
    assert Event.objects.get(hash=second.hash.upper()).seq == 2
    assert Event.objects.get(prev_hash=second.hash).seq == 3
    assert set(
        Event.objects.filter(hash__in=[first.hash, third.hash]).values_list("seq", flat=True)
    ) == {1, 3}
    assert list(Event.objects.filter(seq__lte=2).values_list("hash", flat=True)) == [
        first.hash,
        second.hash,
    ]
    assert not Event.objects.filter(hash="ab" * 32).exists()


@pytest.mark.parametrize(
    "value",
    ["ab" * 31, "zz" * 32, "ab" * 33, b"\x00" * 31, b"\x00" * 33, 7],
)
def test_anything_but_a_digest_is_refused(value):
    with pytest.raises((ValueError, TypeError), match="SHA-256 digest"):
        Event.objects.filter(hash=value).exists()
    with pytest.raises(ValidationError):
        Sha256Field().to_python(value)


def test_the_hash_stays_unique():
    _log(1)
    clone = Event.objects.values().get(seq=1) | {"seq": 2, "staged_id": None}
    with pytest.raises(IntegrityError), transaction.atomic():  # savepoint: expect the refusal
        Event.objects.create(**clone)


def test_serialised_as_hex():
    (event,) = _log(1)
    assert Event._meta.get_field("hash").value_to_string(event) == event.hash
    assert to_digest(event.hash) == hashlib.sha256(event.entry_bytes()).digest()
