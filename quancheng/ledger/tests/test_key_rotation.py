"""Rotation of the checkpoint signing keys by the security administrator (ledger/keys.py)."""

import base64
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from quancheng.ledger import keys
from quancheng.ledger.actions import Action
from quancheng.ledger.bundle import make_ledger_bundle
from quancheng.ledger.checkpoints import (
    make_checkpoint,
    signing_key,
    sm2_verifier_key,
    verifier_key,
)
from quancheng.ledger.models import Checkpoint, Event, SigningKey
from quancheng.ledger.services import record_event
from quancheng.ledger.verify import verify_ledger
from quancheng.lib import note
from quancheng.offline.verify_bundle import verify_bundle
from quancheng.orgs.keyrotation import rotate_ledger_keys
from quancheng.orgs.views_admin_audit import administrator_events

pytestmark = pytest.mark.django_db

SEED = bytes(range(32))


@pytest.fixture(autouse=True)
def _configured_key(settings, tmp_path, monkeypatch):
    """The initial key from the environment (QC_SIGNING_KEY), as an installation sets it."""
    settings.VAR_DIR = tmp_path
    for name in ("QC_SIGNING_KEY_FILE", "QC_SM2_SIGNING_KEY", "QC_LEDGER_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
        if hasattr(settings, name):
            delattr(settings, name)
    monkeypatch.setenv("QC_SIGNING_KEY", base64.b64encode(SEED).decode())
    if hasattr(settings, "QC_SIGNING_KEY"):
        delattr(settings, "QC_SIGNING_KEY")


def _log(count=2):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.DATAKIND_UPDATED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def test_only_the_security_administrator_rotates(
    client, system_admin, audit_admin, head, security_admin
):
    _log()
    for who in (system_admin, audit_admin, head):
        with pytest.raises(PermissionDenied):
            rotate_ledger_keys(who)
        client.force_login(who)
        assert client.post("/ledger/keys/rotate/").status_code == 403
        with pytest.raises(CommandError):
            call_command("rotate_ledger_keys", "--by", who.username, stderr=io.StringIO())
    assert not SigningKey.objects.exists()
    assert not Event.objects.filter(action="ledger.keys_rotated").exists()
    client.force_login(security_admin)
    page = client.get("/ledger/").content.decode()
    assert "轮换账本签名密钥" in page
    assert client.post("/ledger/keys/rotate/").status_code == 302
    assert Event.objects.filter(action="ledger.keys_rotated").count() == 1


def test_a_rotation_hands_the_trust_over_and_old_checkpoints_still_verify(security_admin, tmp_path):
    _log()
    configured = Ed25519PrivateKey.from_private_bytes(SEED)
    old_vkey, old_sm2 = verifier_key(), sm2_verifier_key()
    assert old_vkey == note.verifier_key(note_origin(), configured.public_key())  # env key signs
    before = make_checkpoint()
    bundle_before = make_ledger_bundle(
        tmp_path / "before", Event.objects.filter(action=Action.DATAKIND_UPDATED), record=False
    )

    result = rotate_ledger_keys(security_admin)

    new_vkey, new_sm2 = result["new"]["ed25519"], result["new"]["sm2"]
    assert verifier_key() == new_vkey and sm2_verifier_key() == new_sm2
    assert signing_key().public_key() != configured.public_key()
    # Private keys: the platform's, sealed; the configured ones are not stored.
    for row in SigningKey.objects.filter(valid_until__isnull=True):
        assert row.sealed_private_key.startswith("ledger-aesgcm:")
        assert base64.b64encode(SEED).decode() not in row.sealed_private_key
    assert SigningKey.objects.get(vkey=old_vkey).sealed_private_key == ""
    # The rotation event, by the security administrator, seen by the audit administrator.
    event = Event.objects.get(action="ledger.keys_rotated")
    assert event.actor == security_admin
    assert json.loads(event.body)["old"] == {"ed25519": old_vkey, "sm2": old_sm2}
    assert event in administrator_events()
    # The transition checkpoint covers the event and carries both keys' signatures.
    transition = Checkpoint.objects.get(size=result["checkpoint"])
    assert transition.size >= event.seq and transition.size > before.size
    for vkey in (old_vkey, new_vkey, old_sm2, new_sm2):
        note.verify_checkpoint(transition.signed_note, vkey)
    # Later checkpoints: the new keys only.
    _log()
    after = make_checkpoint()
    note.verify_checkpoint(after.signed_note, new_vkey)
    with pytest.raises(note.NoteError):
        note.verify_checkpoint(after.signed_note, old_vkey)
    # The whole ledger verifies across the rotation (every published key).
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.checkpoints >= 3
    # Every key is published with its validity, on the page and in the API.
    periods = keys.history()
    assert [p.vkey for p in periods] == [old_vkey, new_vkey, old_sm2, new_sm2]
    assert periods[0].valid_until is not None and periods[1].valid_until is None
    client = Client()
    client.force_login(security_admin)
    page = client.get("/ledger/").content.decode()
    assert old_vkey in page and new_vkey in page and "轮换生成" in page
    # Offline: the old bundle with the old key; a new one with the keys from the page.
    assert verify_bundle(bundle_before, [old_vkey], out=io.StringIO())
    bundle_after = make_ledger_bundle(
        tmp_path / "after", Event.objects.filter(action=Action.DATAKIND_UPDATED), record=False
    )
    out = io.StringIO()
    assert verify_bundle(bundle_after, [old_vkey, new_vkey], out=out), out.getvalue()
    assert not verify_bundle(bundle_after, [old_vkey], out=io.StringIO())


def test_the_command_rotates_for_the_security_administrator(security_admin):
    _log()
    out = io.StringIO()
    call_command("rotate_ledger_keys", "--by", security_admin.username, stdout=out, stderr=out)
    assert verifier_key() in out.getvalue()
    assert SigningKey.objects.filter(valid_until__isnull=True).count() == 2


def note_origin() -> str:
    from quancheng.ledger.checkpoints import origin

    return origin()


def test_the_offline_verifier_picks_the_key_that_signed_even_with_plus_in_base64(tmp_path):
    """Of the keys given, the one whose key id signed the checkpoint (a vkey's base64 may
    contain "+", the separator of its parts)."""
    from quancheng.offline.verify_bundle import _pick_key, _Source

    name = "quancheng.local/ledger"
    seeds = (bytes([n]) * 32 for n in range(256))
    signer = next(
        k
        for k in map(Ed25519PrivateKey.from_private_bytes, seeds)
        if "+" in note.verifier_key(name, k.public_key()).split("+", 2)[2]
    )
    other = Ed25519PrivateKey.from_private_bytes(SEED)
    text = note.checkpoint_text(name, 1, bytes(32))
    (tmp_path / "checkpoint").write_text(note.sign_note(text, name, signer))
    keys_given = [note.verifier_key(name, k.public_key()) for k in (other, signer)]
    assert _pick_key(keys_given, _Source(tmp_path)) == keys_given[1]
