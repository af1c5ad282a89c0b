"""The export package of an extraction: a BagIt bag that the real ``bagit.py --validate`` (full,
checksums re-computed) and the offline verifier both accept, and both reject after any one byte
of it is flipped."""

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from quancheng.access.package import NOTE_NAME
from quancheng.documents.validation import validate_pdf_bytes
from quancheng.ledger.checkpoints import verifier_key
from quancheng.ledger.models import Event
from quancheng.offline.tests.alterations import ALTERATIONS, alter
from quancheng.records.services import blob_store

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]

ROOT = Path(__file__).resolve().parents[3]
# bagit.py of the environment that runs the tests (the checkout's .venv under scripts/test).
BAGIT = Path(sys.executable).parent / "bagit.py"


@pytest.fixture
def package_zip(produced, tmp_path) -> Path:
    target = tmp_path / "package.zip"
    with blob_store().open(produced.package_id) as source, open(target, "wb") as out:
        while chunk := source.read(1 << 20):
            out.write(chunk)
    return target


@pytest.fixture
def bag(package_zip, produced, tmp_path) -> Path:
    with zipfile.ZipFile(package_zip) as zf:
        zf.extractall(tmp_path / "unzipped")
    return tmp_path / "unzipped" / f"extraction-{produced.pk}"


def bagit_validate(path: Path) -> subprocess.CompletedProcess:
    """The bagit library's own command line, full validation (not --fast)."""
    return subprocess.run(
        [str(BAGIT), "--validate", str(path)], capture_output=True, text=True, check=False
    )


def offline_verify(path: Path) -> subprocess.CompletedProcess:
    """The verifier as a court's technician runs it: a fresh process without Django settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "QC_"))}
    command = [sys.executable, "-m", "quancheng.offline.verify_bundle", str(path)]
    return subprocess.run(
        [*command, "--key", verifier_key()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_package_is_a_bag_with_both_manifests_that_validates_fully(bag):
    assert (bag / "manifest-sha256.txt").is_file() and (bag / "manifest-sha512.txt").is_file()
    assert (bag / "tagmanifest-sha256.txt").is_file()
    result = bagit_validate(bag)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stderr
    listed = (bag / "manifest-sha512.txt").read_text()
    assert f"data/files/{NOTE_NAME}" in listed
    assert "data/events.jsonl" in listed and "data/checkpoint" in listed
    # RFC 8493 §2.1.1: the bag declares the version it follows, and bagit.txt is in the tag
    # manifests (re-hashed after the declaration).
    assert (bag / "bagit.txt").read_text().startswith("BagIt-Version: 1.0\n")
    assert " bagit.txt" in (bag / "tagmanifest-sha256.txt").read_text()


def test_the_package_verifies_offline_as_a_directory_and_as_the_zip(bag, package_zip):
    for path in (bag, package_zip):
        result = offline_verify(path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "BagIt bag valid (full validation)" in result.stdout
        assert "RESULT: VERIFIED" in result.stdout
        assert "执法记录仪_001.mp4: size" in result.stdout


def test_the_package_holds_copies_note_and_ledger_part(bag, produced, act_items, clips):
    segment, document, record = act_items
    files = {p.name: p for p in (bag / "data" / "files").iterdir()}
    video = files[f"segment-{segment.pk}-执法记录仪_001.mp4"].read_bytes()
    assert video == clips["h264"].read_bytes()
    assert files[f"document-{document.pk}-现场笔录扫描件.png"].stat().st_size == document.blob.size
    data = files[f"datarecord-{record.pk}.json"].read_bytes()
    assert json.loads(data) == record.data
    note = files[NOTE_NAME].read_bytes()
    assert validate_pdf_bytes(note).status == "valid"
    assert hashlib.sha256(note).hexdigest() == produced.note_id
    manifest = json.loads((bag / "data" / "manifest.json").read_text())
    actions = [Event.objects.get(seq=s).action for s in manifest["events"]]
    for action in (
        "segment.created",
        "document.created",
        "datarecord.created",
        "extraction.requested",
        "extraction.approved",
        "extraction.note_made",
    ):
        assert action in actions
    assert (bag / "data" / "verifier.key").read_text().strip() == verifier_key()
    info = (bag / "bag-info.txt").read_text()
    assert f"External-Identifier: quancheng-extraction-{produced.pk}" in info


def test_the_note_states_maker_extractor_time_source_and_hashes(bag, officer, head, act_items):
    from quancheng.documents.tests.conftest import poppler

    text = poppler("pdftotext", "-raw", str(bag / "data" / "files" / NOTE_NAME), "-")
    compact = "".join(text.split())
    assert "证据提取说明" in compact
    assert "提取人张伟" in compact and "批准人刘洋" in compact
    assert "提取时间" in compact and "执法行为" in compact
    segment = act_items[0]
    assert segment.blob_id in compact
    assert "张伟" in compact  # 制作人: the officer who recorded or stored each item


def test_the_extraction_is_in_the_ledger(produced, officer, head):
    events = Event.objects.filter(object_type="access.extraction", object_id=str(produced.pk))
    actions = list(events.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "extraction.requested",
        "extraction.approved",
        "extraction.production_started",
        "extraction.note_made",
        "ledger.bundle_made",
        "extraction.produced",
    ]
    done = events.get(action="extraction.produced")
    body = json.loads(done.body)
    assert body["sha256"] == produced.package_id
    assert body["size"] == produced.package.size
    assert events.get(action="extraction.requested").actor == officer
    assert events.get(action="extraction.approved").actor == head
    assert produced.progress == 100


def _flip(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    position = len(data) // 2 if offset is None else offset
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


FLIP_TARGETS = [
    "video",
    "scan",
    "datarecord",
    "note",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha512.txt",
    "bag-info.txt",
    "bagit.txt",
    "data/manifest.json",
    "data/events.jsonl",
    "data/checkpoint",
    "proof",
    "data/verifier.key",
]


def _target(bag: Path, name: str, act_items) -> Path:
    files = bag / "data" / "files"
    segment, document, record = act_items
    named = {
        "video": files / f"segment-{segment.pk}-执法记录仪_001.mp4",
        "scan": files / f"document-{document.pk}-现场笔录扫描件.png",
        "datarecord": files / f"datarecord-{record.pk}.json",
        "note": files / NOTE_NAME,
        "proof": next((bag / "data" / "proofs").iterdir()),
    }
    return named.get(name, bag / name)


@pytest.mark.parametrize("name", FLIP_TARGETS)
def test_one_flipped_byte_anywhere_fails_bagit_and_the_verifier(bag, act_items, name):
    _flip(_target(bag, name, act_items))
    assert bagit_validate(bag).returncode != 0
    result = offline_verify(bag)
    assert result.returncode == 1, result.stdout
    assert "RESULT: NOT VERIFIED" in result.stdout


def test_a_flipped_byte_in_the_zip_fails_the_verifier(package_zip, produced):
    with zipfile.ZipFile(package_zip) as zf:
        info = zf.getinfo(f"extraction-{produced.pk}/data/files/{NOTE_NAME}")
    # Inside the note's stored bytes (past its local header): the zip's CRC or the bag catches it.
    _flip(package_zip, info.header_offset + 100 + info.file_size // 2)
    result = offline_verify(package_zip)
    assert result.returncode == 1, result.stdout


# --- a document's detached SM2 signature (.p7s) travels beside it -------------------------------


@pytest.fixture
def signed_document(act_items, certified):
    """The act's scanned document with a detached SM2 signature, as finalising makes one."""
    from django.db import transaction
    from django.utils import timezone

    from quancheng.documents import sm2sign
    from quancheng.records.services import register_blob

    document = act_items[1]
    stored = sm2sign.active_certificate(document.agency)
    with blob_store().open(document.blob_id) as f:
        content = f.read()
    signed_at = timezone.now().replace(microsecond=0)
    info = blob_store().put(io.BytesIO(sm2sign.sign_detached(content, stored, signed_at)))
    with transaction.atomic():
        blob = register_blob(info, document.agency)
        sm2sign.record_signature(None, document, blob, stored, signed_at)
    return document


def test_the_p7s_lies_beside_its_document_in_every_manifest_and_verifies_offline(
    signed_document, bag
):
    name = f"document-{signed_document.pk}-现场笔录扫描件.png"
    p7s = bag / "data" / "files" / f"{name}.p7s"
    assert p7s.is_file()
    signature = signed_document.sm2_signature
    assert hashlib.sha256(p7s.read_bytes()).hexdigest() == signature.blob_id
    manifest = json.loads((bag / "data" / "manifest.json").read_text())
    (entry,) = [f for f in manifest["files"] if f["path"] == f"files/{name}.p7s"]
    assert entry["signature_of"] == f"files/{name}"
    assert entry["sha256"] == signature.blob_id and len(entry["sm3"]) == 64
    for listing in ("manifest-sha256.txt", "manifest-sm3.txt"):
        assert f"data/files/{name}.p7s" in (bag / listing).read_text()
    assert bagit_validate(bag).returncode == 0
    result = offline_verify(bag)
    assert result.returncode == 0, result.stdout
    assert f"SM2 signature files/{name}.p7s verifies over files/{name}" in result.stdout


def test_an_altered_p7s_is_refused_offline(signed_document, bag):
    from asn1crypto import cms

    from quancheng.lib.gmcrypto import SM2PrivateKey
    from quancheng.offline import verify_bundle

    name = f"document-{signed_document.pk}-现场笔录扫描件.png"
    p7s = bag / "data" / "files" / f"{name}.p7s"
    _flip(p7s, offset=len(p7s.read_bytes()) - 5)  # inside the SM2 signature value
    result = offline_verify(bag)
    assert result.returncode == 1 and "RESULT: NOT VERIFIED" in result.stdout
    # The signature check itself: a well-formed .p7s signed by another key, or over other bytes.
    manifest = json.loads((bag / "data" / "manifest.json").read_text())
    source = verify_bundle._Source(bag / "data")
    target = bag / "data" / "files" / name
    verified = {
        f"files/{name}": verify_bundle.gmcrypto.sm3_hex(target.read_bytes()),
        f"files/{name}.p7s": "",
    }
    info = cms.ContentInfo.load(signed_document_signature(signed_document))
    signer = info["content"]["signer_infos"][0]
    signer["signature"] = SM2PrivateKey.generate().sign(b"\x31" + signer["signed_attrs"].dump()[1:])
    p7s.write_bytes(info.dump())
    out = io.StringIO()
    report = verify_bundle.Report(out)
    verify_bundle._check_detached_signatures(source, manifest, verified, report)
    assert report.failures == 1 and "does not verify (bad_signature" in out.getvalue()
    verified[f"files/{name}"] = verify_bundle.gmcrypto.sm3_hex(b"other bytes")
    p7s.write_bytes(signed_document_signature(signed_document))
    report = verify_bundle.Report(out)
    verify_bundle._check_detached_signatures(source, manifest, verified, report)
    assert report.failures == 1 and "is not the signed messageDigest" in out.getvalue()


def signed_document_signature(document) -> bytes:
    with blob_store().open(document.sm2_signature.blob_id) as f:
        return f.read()


# --- the four alterations (issue 19): either digest, either signature -----------------------


@pytest.mark.parametrize("what", ALTERATIONS)
def test_each_of_the_four_alterations_is_refused_even_in_a_resaved_bag(bag, what):
    """The bag re-saved after the change (its manifests made to match, as a forger would), so
    that it is the ledger part's own check that refuses: SHA-256 or SM3 of a file, the
    checkpoint's Ed25519 or SM2 signature."""
    import bagit

    from quancheng.offline.verify_bundle import verify_bundle

    def check():
        out = io.StringIO()
        return verify_bundle(bag, verifier_key(), out), out.getvalue()

    assert check()[0]
    expected = alter(bag / "data", what)
    bagit.Bag(str(bag)).save(manifests=True)
    ok, report = check()
    assert not ok
    assert expected in report, report
    assert "BagIt bag valid" in report  # the bag itself was made to match


def test_an_altered_sm3_manifest_of_the_bag_is_refused(bag):
    import bagit

    from quancheng.offline.verify_bundle import verify_bundle

    listing = bag / "manifest-sm3.txt"
    lines = listing.read_text().splitlines()
    digest, name = lines[0].split("  ", 1)
    listing.write_text("\n".join(["0" * 64 + "  " + name, *lines[1:]]) + "\n")
    bagit.Bag(str(bag)).save()  # the tag manifests re-made
    out = io.StringIO()
    assert not verify_bundle(bag, verifier_key(), out)
    assert f"{name}: SM3 {digest} differs from manifest-sm3.txt" in out.getvalue()
