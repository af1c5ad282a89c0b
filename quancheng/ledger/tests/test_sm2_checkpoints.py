"""The SM2 signature line of checkpoints (note.py's SM2 type), beside the Ed25519 one."""

import base64
import hashlib
import json

import pytest
from django.db import transaction
from django.test import Client

from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import (
    make_checkpoint,
    sm2_signing_key,
    sm2_verifier_key,
    verifier_key,
    verifier_keys,
)
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.lib import note
from quancheng.lib.gmcrypto import SM2PrivateKey

pytestmark = pytest.mark.django_db

SM2_TYPE = b"\xff" + b"quancheng/sm2-sm3/v1"


@pytest.fixture(autouse=True)
def _own_keys(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    for name in ("QC_SIGNING_KEY", "QC_SIGNING_KEY_FILE", "QC_SM2_SIGNING_KEY", "QC_LEDGER_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
        if hasattr(settings, name):
            delattr(settings, name)


def _log(count=3):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def _lines(signed: str) -> list[str]:
    return signed.split("\n\n", 1)[1].removesuffix("\n").split("\n")


def test_a_checkpoint_carries_an_ed25519_and_an_sm2_line(tmp_path):
    _log()
    checkpoint = make_checkpoint()
    text = checkpoint.signed_note.split("\n\n", 1)[0] + "\n"
    ed_line, sm2_line = _lines(checkpoint.signed_note)
    name, encoded = sm2_line.removeprefix("\u2014 ").split(" ")
    assert name == "quancheng.local/ledger" == ed_line.removeprefix("\u2014 ").split(" ")[0]
    blob = base64.b64decode(encoded)
    assert len(blob) == 4 + 64  # key id || r || s
    public = sm2_signing_key().public_key()
    # key id = SHA-256(name || 0x0A || 0xff || "quancheng/sm2-sm3/v1" || 04 || x || y)[:4]
    expected_id = hashlib.sha256(name.encode() + b"\n" + SM2_TYPE + public.raw()).digest()[:4]
    assert blob[:4] == expected_id
    assert public.verify_raw(blob[4:], text.encode())  # SM2 with SM3, default user id
    # Each key verifies the checkpoint on its own; the other line is ignored.
    for vkey in verifier_keys():
        assert note.verify_checkpoint(checkpoint.signed_note, vkey).size == checkpoint.size
    vkey = sm2_verifier_key()
    assert (
        vkey == f"{name}+{expected_id.hex()}+{base64.b64encode(SM2_TYPE + public.raw()).decode()}"
    )
    # The checkpoint's event names both verifier keys; the key file is its owner's alone.
    body = json.loads(Event.objects.get(action="ledger.checkpoint").body)
    assert (body["key"], body["sm2_key"]) == (verifier_key(), vkey)
    assert (tmp_path / "ledger_sm2_signing_key").stat().st_mode & 0o777 == 0o600


def test_an_altered_sm2_signature_is_refused_by_the_sm2_key_only():
    _log()
    signed = make_checkpoint().signed_note
    _ed_line, sm2_line = _lines(signed)
    prefix, encoded = sm2_line.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[-1] ^= 1
    altered = signed.replace(sm2_line, f"{prefix} {base64.b64encode(bytes(blob)).decode()}")
    with pytest.raises(note.NoteError, match="does not verify"):
        note.verify_checkpoint(altered, sm2_verifier_key())
    assert note.verify_checkpoint(altered, verifier_key())  # Ed25519 clients never look at it
    with pytest.raises(note.NoteError):
        note.verify_checkpoint_by_all(altered, verifier_keys())
    # A checkpoint stripped of its SM2 line fails the SM2 key.
    stripped = signed.replace(sm2_line + "\n", "")
    with pytest.raises(note.NoteError, match="no signature"):
        note.verify_checkpoint(stripped, sm2_verifier_key())


def test_a_configured_sm2_key_is_used(settings):
    key = SM2PrivateKey.generate()
    settings.QC_SM2_SIGNING_KEY = key.pem().decode()
    assert sm2_signing_key().raw() == key.raw()
    settings.QC_SM2_SIGNING_KEY = base64.b64encode(key.raw()).decode()
    assert sm2_verifier_key() == note.sm2_verifier_key("quancheng.local/ledger", key.public_key())


def test_sm2_can_be_switched_off(settings):
    settings.QC_SM2_CHECKPOINTS = False
    _log()
    assert len(_lines(make_checkpoint().signed_note)) == 1
    assert sm2_verifier_key() is None and verifier_keys() == [verifier_key()]


def test_malformed_sm2_vkeys_are_refused():
    vkey = note.sm2_verifier_key("a.example/log", SM2PrivateKey.generate().public_key())
    name, kid, encoded = vkey.split("+", 2)
    assert note.parse_sm2_verifier_key(vkey)[0] == name
    with pytest.raises(note.NoteError, match="key id"):
        note.parse_sm2_verifier_key(f"other.example/log+{kid}+{encoded}")
    with pytest.raises(note.NoteError, match="SM2"):
        note.parse_sm2_verifier_key(verifier_key())
    with pytest.raises(note.NoteError):
        note.parse_verifier_key(vkey)  # an Ed25519-only caller refuses an SM2 key


def test_the_page_publishes_both_keys(officer):
    client = Client()
    client.force_login(officer)
    page = client.get("/ledger/").content.decode()
    assert verifier_key() in page and sm2_verifier_key() in page
    assert "/api/v1/ledger/key/sm2" in page
