"""Bundles made by the platform verify offline, and every kind of alteration is rejected."""

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from quancheng.ledger.actions import Action
from quancheng.ledger.bundle import BundleError, BundleFile, make_ledger_bundle
from quancheng.ledger.checkpoints import make_checkpoint, origin, verifier_key
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.lib import note
from quancheng.lib.blobstore import blob_store_from_url
from quancheng.offline.verify_bundle import verify_bundle
from quancheng.records.services import register_blob

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


@pytest.fixture(autouse=True)
def _own_key_and_store(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


def _upload(officer, content: bytes, filename: str, upload_id: str):
    info = blob_store_from_url(settings.QC_BLOB_STORE).put(io.BytesIO(content))
    with transaction.atomic():
        register_blob(info, officer.agency)
        ref = {"object_type": "records.upload", "object_id": upload_id}
        record_event(officer, Action.UPLOAD_CREATED, None, {"filename": filename}, **ref)
        record_event(
            officer,
            Action.UPLOAD_COMPLETED,
            None,
            {"sha256": info.sha256, "size": info.size, "filename": filename},
            **ref,
        )
    return info.sha256


@pytest.fixture
def bundle(officer, tmp_path):
    sha = _upload(officer, VIDEO, "执法记录仪_001.mp4", "u-1")
    _upload(officer, b"another file", "other.pdf", "u-2")
    make_checkpoint()
    out = tmp_path / "bundle"
    call_command("make_ledger_bundle", "--object", "records.upload:u-1", "--out", str(out))
    assert (out / "files" / f"{sha[:12]}-执法记录仪_001.mp4").read_bytes() == VIDEO
    return out


def _run(bundle_path, *args, module=True):
    """The verifier as a court's technician runs it: a fresh process, no Django settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "QC_"))}
    command = [sys.executable, "-m", "quancheng.offline.verify_bundle", str(bundle_path), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def _check(bundle_path, key=None):
    out = io.StringIO()
    ok = verify_bundle(bundle_path, key or verifier_key(), out)
    return ok, out.getvalue()


def test_a_good_bundle_verifies_in_a_process_without_django(bundle):
    result = _run(bundle, "--key", verifier_key())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: VERIFIED" in result.stdout
    assert "结论：通过" in result.stdout
    assert "[失败 FAIL]" not in result.stdout
    assert "is included in the signed checkpoint" in result.stdout
    assert "执法记录仪_001.mp4: size" in result.stdout
    # Nothing of Django was imported on the way.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, quancheng.offline.verify_bundle as v; "
            f"v.verify_bundle({str(bundle)!r}, {verifier_key()!r}); "
            "assert not [m for m in sys.modules if m.startswith('django')], 'django imported'",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr


def test_the_bundle_holds_what_the_docs_say(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["format"] == "quancheng-ledger-bundle/1"
    seqs = manifest["events"]
    assert [Event.objects.get(seq=s).action for s in seqs] == ["upload.created", "upload.completed"]
    lines = (bundle / "events.jsonl").read_bytes().split(b"\n")[:-1]
    assert lines == [Event.objects.get(seq=s).entry_bytes() for s in seqs]
    for seq in seqs:
        proof = (bundle / "proofs" / f"{seq}.tlog-proof").read_text()
        assert proof.startswith(f"c2sp.org/tlog-proof@v1\nindex {seq - 1}\n")
    assert (bundle / "verifier.key").read_text() == verifier_key() + "\n"
    made = Event.objects.filter(action="ledger.bundle_made").get()
    assert made.object_type == "records.upload" and made.object_id == "u-1"


def test_a_zipped_bundle_verifies_and_the_bundled_key_is_flagged(bundle, tmp_path):
    archive = shutil.make_archive(str(tmp_path / "b"), "zip", root_dir=tmp_path, base_dir="bundle")
    result = _run(archive)
    assert result.returncode == 0, result.stdout
    assert "[注意 NOTE] 公钥取自证据包本身" in result.stdout


def test_a_changed_file_byte_is_rejected(bundle):
    path = next((bundle / "files").iterdir())
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    result = _run(bundle, "--key", verifier_key())
    assert result.returncode == 1
    assert f"file files/{path.name} differs from the manifest" in result.stdout
    assert "RESULT: NOT VERIFIED, 1 check(s) failed" in result.stdout


def test_a_file_and_manifest_both_changed_are_rejected(bundle):
    path = next((bundle / "files").iterdir())
    path.write_bytes(b"forged")
    manifest = json.loads((bundle / "manifest.json").read_text())
    import hashlib

    manifest["files"][0].update(sha256=hashlib.sha256(b"forged").hexdigest(), size=6)
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    ok, report = _check(bundle)
    assert not ok
    assert "is named by no event of the bundle" in report


def test_an_extra_or_missing_file_is_rejected(bundle):
    (bundle / "files" / "planted.txt").write_text("x")
    ok, report = _check(bundle)
    assert not ok and "not listed in the manifest: files/planted.txt" in report
    (bundle / "files" / "planted.txt").unlink()
    next((bundle / "files").glob("*.mp4")).unlink()
    ok, report = _check(bundle)
    assert not ok and "file missing" in report


def test_a_changed_event_is_rejected(bundle):
    path = bundle / "events.jsonl"
    lines = path.read_bytes().split(b"\n")
    entry = json.loads(lines[0])
    entry["actor"] = "someone_else"
    lines[0] = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    path.write_bytes(b"\n".join(lines))
    result = _run(bundle, "--key", verifier_key())
    assert result.returncode == 1
    seq = entry["seq"]
    assert f"event #{seq} is not proven included in the signed log" in result.stdout


def test_a_wrong_proof_is_rejected(bundle):
    seq = json.loads((bundle / "manifest.json").read_text())["events"][1]
    path = bundle / "proofs" / f"{seq}.tlog-proof"
    lines = path.read_text().split("\n")
    digest = bytearray(base64.b64decode(lines[2]))
    digest[0] ^= 0xFF
    lines[2] = base64.b64encode(bytes(digest)).decode()
    path.write_text("\n".join(lines))
    ok, report = _check(bundle)
    assert not ok
    assert f"event #{seq} is not proven included" in report


def test_a_wrong_key_is_rejected(bundle):
    other = note.verifier_key(origin(), Ed25519PrivateKey.generate().public_key())
    result = _run(bundle, "--key", other)
    assert result.returncode == 1
    assert "checkpoint signature invalid or not by this key" in result.stdout
    assert "carries no signature by" in result.stdout


def test_a_forged_checkpoint_is_rejected(bundle):
    # A checkpoint of another tree signed by a key that is not the log's, key file swapped too.
    forger = Ed25519PrivateKey.generate()
    text = note.checkpoint_text(origin(), 99, bytes(32))
    (bundle / "checkpoint").write_text(note.sign_note(text, origin(), forger))
    (bundle / "verifier.key").write_text(note.verifier_key(origin(), forger.public_key()))
    ok, report = _check(bundle)  # the court's key, given apart
    assert not ok and "checkpoint signature invalid or not by this key" in report
    # Tampering with the signature bytes themselves is caught as well.
    good = (bundle / "proofs").iterdir().__next__().read_text().split("\n\n", 1)[1]
    head, signature = good.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(signature))
    blob[20] ^= 1
    (bundle / "checkpoint").write_text(f"{head} {base64.b64encode(bytes(blob)).decode()}\n")
    ok, report = _check(bundle)
    assert not ok and "does not verify" in report


def test_not_a_bundle_is_a_clear_failure(tmp_path):
    result = _run(tmp_path, "--key", "x")
    assert result.returncode == 1
    assert "cannot read the bundle" in result.stdout
    zipfile.ZipFile(tmp_path / "empty.zip", "w").close()
    assert _run(tmp_path / "empty.zip").returncode == 1


def test_events_not_yet_checkpointed_are_refused(officer, tmp_path):
    _upload(officer, b"late", "late.pdf", "u-3")
    with pytest.raises(BundleError, match="not yet covered"):
        make_ledger_bundle(tmp_path / "b", Event.objects.filter(object_id="u-3"), [])


def test_a_blob_altered_in_the_store_is_not_exported(officer, tmp_path):
    sha = _upload(officer, b"original bytes", "a.pdf", "u-4")
    make_checkpoint()
    store_root = Path(settings.QC_BLOB_STORE.removeprefix("file://"))
    stored = next(p for p in store_root.rglob(sha) if p.is_file())
    stored.chmod(0o600)
    stored.write_bytes(b"altered bytes!")
    with pytest.raises(BundleError, match="no longer has that SHA-256"):
        make_ledger_bundle(
            tmp_path / "b", Event.objects.filter(object_id="u-4"), [BundleFile("a.pdf", sha)]
        )
