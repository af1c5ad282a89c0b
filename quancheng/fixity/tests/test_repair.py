"""Repairing a damaged blob from an offline copy or a backup (quancheng/fixity/repair.py)."""

import io
import os

import pytest
from django.core.management import CommandError, call_command

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.records.models import Blob
from quancheng.records.services import register_blob
from quancheng.records.stream import StreamIntegrityError, verified_chunks

from .conftest import alter_one_byte

pytestmark = pytest.mark.django_db


@pytest.fixture
def damaged(store, agency, tmp_path):
    """A registered blob whose stored copy was altered and found so; its genuine copy on disk."""
    data = os.urandom(100_000)
    info = store.put(io.BytesIO(data))
    register_blob(info, agency)
    alter_one_byte(store, info.sha256, offset=10)
    with pytest.raises(StreamIntegrityError):
        list(verified_chunks(info.sha256))
    genuine = tmp_path / "genuine.bin"
    genuine.write_bytes(data)
    return info.sha256, genuine


def test_a_genuine_copy_repairs_the_blob_and_closes_the_alert(store, damaged, custodian):
    sha, genuine = damaged

    call_command("repair_blob", sha, str(genuine), "--user", custodian.username)

    assert store.path(sha).read_bytes() == genuine.read_bytes()
    assert Blob.objects.get(pk=sha).damaged_at is None
    event = Event.objects.get(action="blob.repaired")
    assert event.actor == custodian and event.object_id == sha
    assert not Alert.objects.open().exists()
    # It is served again, and verifies.
    assert b"".join(verified_chunks(sha)) == genuine.read_bytes()


@pytest.mark.parametrize("change", ["one byte", "truncated"])
def test_other_bytes_are_refused_and_nothing_changes(store, damaged, change):
    sha, genuine = damaged
    before = store.path(sha).read_bytes()
    data = bytearray(genuine.read_bytes())
    if change == "one byte":
        data[0] ^= 0xFF
    else:
        data = data[:-1]
    genuine.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="mismatch"):
        call_command("repair_blob", sha, str(genuine))

    assert store.path(sha).read_bytes() == before
    assert Blob.objects.get(pk=sha).damaged_at is not None
    assert not Event.objects.filter(action="blob.repaired").exists()
    assert Alert.objects.open().count() == 1


def test_a_blob_not_known_damaged_is_not_repaired(store, agency, tmp_path):
    data = os.urandom(1000)
    info = store.put(io.BytesIO(data))
    register_blob(info, agency)
    copy = tmp_path / "copy"
    copy.write_bytes(data)
    with pytest.raises(CommandError, match="blob_not_damaged"):
        call_command("repair_blob", info.sha256, str(copy))
