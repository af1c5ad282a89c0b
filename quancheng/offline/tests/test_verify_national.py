"""The offline verifier checks both algorithm families (docs/national-crypto.md): a bundle
passes with SHA-256 + Ed25519 and SM3 + SM2, and fails when either digest or either signature
is altered."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from quancheng.access.package import declare_bagit_1_0, write_sm3_manifest
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint, origin, sm2_verifier_key, verifier_key
from quancheng.ledger.services import record_event
from quancheng.lib import note
from quancheng.lib.blobstore import blob_store_from_url
from quancheng.lib.gmcrypto import SM2PrivateKey, sm3_hex
from quancheng.offline.tests.alterations import (
    ALTERATIONS,
    alter,
    flip_signature_line,
    rewrite_checkpoints,
)
from quancheng.offline.verify_bundle import verify_bundle
from quancheng.records.models import Blob
from quancheng.records.services import register_blob
from quancheng.records.sm3 import compute_pending_sm3, file_digests

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


@pytest.fixture(autouse=True)
def _own_key_and_store(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def bundle(officer, tmp_path):
    info = blob_store_from_url(settings.QC_BLOB_STORE).put(io.BytesIO(VIDEO))
    with transaction.atomic():
        register_blob(info, officer.agency)
    compute_pending_sm3()  # the background job: blob.sm3_computed names both digests
    with transaction.atomic():
        record_event(
            officer,
            Action.SEGMENT_DOWNLOADED,
            None,
            {**file_digests(info.sha256), "filename": "执法记录仪_001.mp4"},
            object_type="records.segment",
            object_id="7",
        )
    make_checkpoint()
    out = tmp_path / "bundle"
    call_command("make_ledger_bundle", "--object", "records.segment:7", "--out", str(out))
    return out


def _check(path, **kwargs):
    out = io.StringIO()
    ok = verify_bundle(path, kwargs.pop("key", verifier_key()), out, **kwargs)
    return ok, out.getvalue()


def test_a_bundle_verifies_with_both_families_without_django(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    (entry,) = manifest["files"]
    assert entry["sm3"] == sm3_hex(VIDEO)
    assert (bundle / "verifier-sm2.key").read_text() == sm2_verifier_key() + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "QC_"))}
    result = subprocess.run(
        [sys.executable, "-m", "quancheng.offline.verify_bundle", str(bundle)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checkpoint SM2 signature valid (SM2/SM3)" in result.stdout
    assert f"SM3 {sm3_hex(VIDEO)} matches, named with its SHA-256 by event(s)" in result.stdout
    assert "[失败 FAIL]" not in result.stdout


def test_an_altered_sm3_in_the_manifest_is_refused(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][0]["sm3"] = "0" * 64
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    ok, report = _check(bundle)
    assert not ok
    assert "differs from the manifest's " + "0" * 64 in report


def test_a_file_whose_registered_sm3_it_no_longer_has_is_not_bundled(bundle, tmp_path):
    """The bundle asks the blob registry (records' source, ledger.bundle.register_blob_source)
    which files are stored and their registered SM3: a mismatch refuses the bundle."""
    files = json.loads((bundle / "manifest.json").read_text())["files"]
    assert len(files) == 1  # the stored blob the event names
    Blob.objects.filter(sha256=files[0]["sha256"]).update(sm3="0" * 64)
    again = tmp_path / "again"
    with pytest.raises(CommandError, match="no longer has its SM3"):
        call_command("make_ledger_bundle", "--object", "records.segment:7", "--out", str(again))


def test_an_altered_file_fails_both_digests(bundle):
    path = next((bundle / "files").iterdir())
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))
    manifest = json.loads((bundle / "manifest.json").read_text())
    # Even with the SHA-256 of the manifest made to match, the SM3 and the events refuse it.
    import hashlib

    manifest["files"][0]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    ok, report = _check(bundle)
    assert not ok
    assert "SM3" in report and "differs from the manifest's" in report


def test_an_altered_sm2_signature_is_refused(bundle):
    rewrite_checkpoints(bundle, lambda signed: flip_signature_line(signed, 1))
    ok, report = _check(bundle)
    assert not ok
    assert "checkpoint SM2 signature invalid or missing" in report
    # The Ed25519 signature alone still verifies: it is the SM2 line that fails the bundle.
    assert "checkpoint signature valid" in report


def test_an_altered_ed25519_signature_is_refused(bundle):
    rewrite_checkpoints(bundle, lambda signed: flip_signature_line(signed, 0))
    ok, report = _check(bundle)
    assert not ok
    assert "checkpoint signature invalid or not by this key" in report


def test_a_checkpoint_stripped_of_its_sm2_line_is_refused(bundle):
    def strip(signed: str) -> str:
        text, signatures = signed.split("\n\n", 1)
        return text + "\n\n" + signatures.split("\n")[0] + "\n"

    rewrite_checkpoints(bundle, strip)
    ok, report = _check(bundle)
    assert not ok
    assert "carries no signature by" in report


def test_another_sm2_key_is_refused(bundle):
    other = note.sm2_verifier_key(origin(), SM2PrivateKey.generate().public_key())
    ok, report = _check(bundle, sm2_key=other)
    assert not ok
    assert "checkpoint SM2 signature invalid or missing" in report
    ok, report = _check(bundle, sm2_key=sm2_verifier_key())
    assert ok, report


def test_the_bags_sm3_manifest_is_checked(tmp_path):
    bag_dir = tmp_path / "bag"
    (bag_dir / "files").mkdir(parents=True)
    (bag_dir / "files" / "a.bin").write_bytes(b"payload a")
    (bag_dir / "manifest.json").write_text("{}")
    bagit.make_bag(str(bag_dir), {}, checksums=["sha256", "sha512"])
    write_sm3_manifest(bag_dir)
    declare_bagit_1_0(bag_dir)
    lines = (bag_dir / "manifest-sm3.txt").read_text().splitlines()
    assert f"{sm3_hex(b'payload a')}  data/files/a.bin" in lines
    assert "manifest-sm3.txt" in (bag_dir / "tagmanifest-sha256.txt").read_text()
    # The bag's part passes (its ledger part is not a bundle: that part of the report fails).
    _, report = _check(bag_dir)
    assert "the bag's SM3 manifest matches: 2 payload files" in report
    # A forger who re-saves the bag (tag manifests re-made) still fails on SM3.
    (bag_dir / "manifest-sm3.txt").write_text(
        "\n".join(line.replace(sm3_hex(b"payload a"), "1" * 64) for line in lines) + "\n"
    )
    bagit.Bag(str(bag_dir)).save()
    _, report = _check(bag_dir)
    assert "data/files/a.bin: SM3" in report and "differs from manifest-sm3.txt" in report


@pytest.mark.parametrize("what", ALTERATIONS)
def test_each_of_the_four_alterations_is_refused(bundle, what):
    """Issue 19, "Done when": either digest (SHA-256, SM3) or either signature (Ed25519, SM2)."""
    assert _check(bundle)[0]
    expected = alter(bundle, what)
    ok, report = _check(bundle)
    assert not ok
    assert expected in report, report
