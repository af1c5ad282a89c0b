"""Signed checkpoints (C2SP tlog-checkpoint, Ed25519) of the events' Merkle tree."""

import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from quancheng.ledger import checkpoints
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import (
    InconsistentLog,
    make_checkpoint,
    signing_key,
    verifier_key,
    verify_note,
)
from quancheng.ledger.models import Checkpoint, Event, LedgerIsAppendOnly
from quancheng.ledger.services import LedgerOutsideTransaction, record_event
from quancheng.ledger.tasks import make_ledger_checkpoint
from quancheng.ledger.tree import inclusion_proof_for, leaf_hash_of, tree_root
from quancheng.lib import merkle, note

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key(own_ledger_key):
    """Each test generates its own embedded-default key (conftest.own_ledger_key)."""


def _log(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def test_a_checkpoint_is_a_signed_note_of_origin_size_and_root(tmp_path):
    _log(5)
    size = Event.objects.count()
    checkpoint = make_checkpoint()
    assert checkpoint.size == size
    assert checkpoint.previous is None and checkpoint.consistency_proof == []
    root = tree_root(size)
    assert checkpoint.root_hash == root.hex()
    text, signatures = checkpoint.signed_note.split("\n\n")
    assert text == f"quancheng.local/ledger\n{size}\n{base64.b64encode(root).decode()}"
    # The Ed25519 line first; the SM2 line after it (tests/test_sm2_checkpoints.py).
    first_line = signatures.split("\n")[0]
    name, sig = first_line.removeprefix("\u2014 ").split(" ")
    assert name == "quancheng.local/ledger"
    blob = base64.b64decode(sig)
    assert len(blob) == 4 + 64
    public = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    signing_key().public_key().verify(blob[4:], (text + "\n").encode())
    assert verify_note(checkpoint.signed_note) == (
        "quancheng.local/ledger",
        size,
        root,
    )
    # The key was generated on first use, readable by its owner only.
    key_file = tmp_path / "ledger_signing_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # Making it was recorded; that event is covered by the next checkpoint.
    event = Event.objects.get(action="ledger.checkpoint")
    assert event.seq == size + 1
    assert f'"size":{size}' in event.body


def test_the_verifier_key_has_the_c2sp_vkey_form():
    vkey = verifier_key()
    name, hex_id, encoded = vkey.split("+", 2)
    assert name == "quancheng.local/ledger"
    key = base64.b64decode(encoded)
    assert key[0] == 1 and len(key) == 33
    assert hex_id == hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex()
    assert verifier_key() == vkey  # the generated key is kept
    call_command("ledger_checkpoint", "--show-key")


def test_the_origin_comes_from_settings(settings):
    settings.QC_LEDGER_ORIGIN = "yuzhong.example.cn/ledger"
    _log(1)
    checkpoint = make_checkpoint()
    assert checkpoint.signed_note.startswith("yuzhong.example.cn/ledger\n")
    assert "\n\u2014 yuzhong.example.cn/ledger " in checkpoint.signed_note
    assert verifier_key().startswith("yuzhong.example.cn/ledger+")
    verify_note(checkpoint.signed_note)


def test_the_key_can_come_from_configuration(settings, tmp_path, monkeypatch):
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    expected = note.verifier_key("quancheng.local/ledger", key.public_key())
    monkeypatch.setenv("QC_SIGNING_KEY", base64.b64encode(seed).decode())
    assert verifier_key() == expected
    monkeypatch.delenv("QC_SIGNING_KEY")
    settings.QC_SIGNING_KEY = pem.decode()
    assert verifier_key() == expected
    del settings.QC_SIGNING_KEY
    path = tmp_path / "configured.pem"
    path.write_bytes(pem)
    monkeypatch.setenv("QC_SIGNING_KEY_FILE", str(path))
    assert verifier_key() == expected
    assert not (tmp_path / "ledger_signing_key").exists()
    monkeypatch.setenv("QC_SIGNING_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(checkpoints.SigningKeyError):
        signing_key()
    monkeypatch.delenv("QC_SIGNING_KEY_FILE")
    monkeypatch.setenv("QC_SIGNING_KEY", "not a key")
    with pytest.raises(checkpoints.SigningKeyError):
        signing_key()


def test_checkpoints_chain_with_verified_consistency_proofs():
    _log(3)
    first = make_checkpoint()
    assert make_checkpoint() is not None  # the first checkpoint's own event is new
    _log(9)
    third = make_checkpoint()
    second = third.previous
    assert second.previous == first
    assert first.size < second.size < third.size
    for older, newer in ((first, second), (second, third)):
        proof = [bytes.fromhex(h) for h in newer.consistency_proof]
        merkle.verify_consistency(
            older.size,
            newer.size,
            proof,
            verify_note(older.signed_note).root_hash,
            verify_note(newer.signed_note).root_hash,
        )


def test_each_checkpoint_event_is_covered_by_the_next_checkpoint():
    _log(2)
    first = make_checkpoint()
    second = make_checkpoint()
    assert second.size == first.size + 1
    covered = Event.objects.get(seq=second.size)
    assert covered.action == "ledger.checkpoint" and covered.object_id == str(first.pk)


def test_a_checkpoint_opens_its_own_transaction_and_its_body_joins_the_callers():
    # make_checkpoint is durable; _make_checkpoint (archive/fourchecks.py makes one inside the
    # 四性 checks' transaction) needs a transaction the code opened, as record_event does.
    _log(2)
    size = Event.objects.count()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        make_checkpoint()
    with pytest.raises(LedgerOutsideTransaction):
        checkpoints._make_checkpoint()
    assert not Checkpoint.objects.exists()
    with transaction.atomic():
        checkpoint = checkpoints._make_checkpoint()
    assert checkpoint.size == size
    assert Event.objects.filter(action="ledger.checkpoint", object_id=str(checkpoint.pk)).exists()


def test_equal_size_gives_no_checkpoint(monkeypatch):
    _log(2)
    first = make_checkpoint()
    # Pretend the checkpoint's own event had not been logged: same size, nothing to sign.
    monkeypatch.setattr(checkpoints, "record_event", lambda *a, **k: None)
    second = make_checkpoint()
    assert second.size == first.size + 1
    assert make_checkpoint() is None
    assert Checkpoint.objects.count() == 2


def test_a_rewritten_history_is_refused():
    _log(4)
    first = make_checkpoint()
    # Forge the stored tree: the nodes over the first leaf replaced (triggers dropped in the
    # test's transaction, as an attacker with database access could; leaves are not stored).
    drop = "DROP TRIGGER ledger_subtreehash_no_update"
    if connection.vendor == "postgresql":
        drop += " ON ledger_subtreehash"
    with connection.cursor() as cursor:
        cursor.execute(drop)
        cursor.execute(
            'UPDATE ledger_subtreehash SET hash = %s WHERE level >= 1 AND "index" = 0',
            [b"\xcd" * 32],
        )
    _log(1)
    with pytest.raises(InconsistentLog, match=f"checkpoint {first.size}"):
        make_checkpoint()


def test_a_tampered_event_fails_against_the_signed_root():
    _log(6)
    checkpoint = make_checkpoint()
    signed = verify_note(checkpoint.signed_note)
    event = Event.objects.get(seq=3)
    proof = inclusion_proof_for(3, signed.size)
    merkle.verify_inclusion(leaf_hash_of(event), 2, signed.size, proof, signed.root_hash)
    event.body = '{"i":"edited"}'
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf_hash_of(event), 2, signed.size, proof, signed.root_hash)


def _signed():
    _log(3)
    return make_checkpoint().signed_note


def test_a_forged_signature_fails():
    signed = _signed()
    text, signatures = signed.split("\n\n")
    # The Ed25519 line (the SM2 line after it is another key's, test_sm2_checkpoints.py).
    sigline, *others = signatures.rstrip("\n").split("\n")
    prefix, encoded = sigline.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[10] ^= 1
    forged = f"{text}\n\n{prefix} {base64.b64encode(bytes(blob)).decode()}\n"
    forged += "".join(f"{line}\n" for line in others)
    with pytest.raises(note.NoteError, match="does not verify"):
        verify_note(forged)


def test_a_wrong_key_fails():
    signed = _signed()
    other = note.verifier_key("quancheng.local/ledger", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(note.NoteError, match="no signature"):
        verify_note(signed, other)
    # Signed by another key under the same name: the key id differs, no signature is found.
    forged = note.sign_note(
        signed.split("\n\n")[0] + "\n", "quancheng.local/ledger", Ed25519PrivateKey.generate()
    )
    with pytest.raises(note.NoteError, match="no signature"):
        verify_note(forged)


@pytest.mark.parametrize("line", [1, 2])
def test_an_edited_size_or_root_fails(line):
    signed = _signed()
    lines = signed.split("\n")
    if line == 1:
        lines[1] = str(int(lines[1]) + 1)
    else:
        root = bytearray(base64.b64decode(lines[2]))
        root[0] ^= 0xFF
        lines[2] = base64.b64encode(bytes(root)).decode()
    with pytest.raises(note.NoteError, match="does not verify"):
        verify_note("\n".join(lines))


def test_malformed_notes_and_keys_are_refused():
    signed = _signed()
    vkey = verifier_key()
    for bad in (signed.rstrip("\n"), signed.replace("\n\n", "\n"), signed.replace("\u2014", "-")):
        with pytest.raises(note.NoteError):
            verify_note(bad, vkey)
    name, hex_id, key = vkey.split("+", 2)
    for bad in (f"{name}+{hex_id}", f"{name}+00000000+{key}", f"{name}+{hex_id}+AAAA", "a b+0+0"):
        with pytest.raises(note.NoteError):
            note.parse_verifier_key(bad)


def test_a_signature_by_another_key_is_ignored():
    signed = _signed()
    extra = note.sign_note(
        signed.split("\n\n")[0] + "\n", "witness.example", Ed25519PrivateKey.generate()
    )
    cosigned = signed + extra.split("\n\n")[1]
    assert verify_note(cosigned).size == verify_note(signed).size


def test_checkpoints_are_append_only():
    _log(1)
    checkpoint = make_checkpoint()
    with pytest.raises(LedgerIsAppendOnly):
        checkpoint.save()
    with pytest.raises(LedgerIsAppendOnly):
        Checkpoint.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_checkpoint SET size = 0")


def test_the_task_and_the_command_make_checkpoints(capsys):
    _log(2)
    size = make_ledger_checkpoint.call()
    assert Checkpoint.objects.get().size == size
    call_command("ledger_checkpoint")
    assert "checkpoint signed at tree size" in capsys.readouterr().out
    assert Checkpoint.objects.count() == 2
