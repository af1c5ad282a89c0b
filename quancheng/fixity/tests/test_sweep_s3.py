"""The sweep through the S3 store (SeaweedFS ``weed mini`` with Object Lock).

Through the S3 API an object under Object Lock can neither be altered nor deleted (an
overwrite makes a new version, and the store reads the oldest, locked one: see
quancheng/lib/blobstore/tests/test_s3.py). SeaweedFS's filer and volume HTTP ports ignore the
lock, which is why docs/storage.md says to firewall them; these tests use them to play the
intruder: the filer to delete a version, a volume server to overwrite a stored chunk in place.
"""

import json
import urllib.request
import uuid

import pytest

from quancheng.alerts.models import Alert
from quancheng.fixity.sweep import run_sweep
from quancheng.ledger.models import Event
from quancheng.lib.blobstore.tests.seaweed import new_bucket_name

pytestmark = pytest.mark.django_db


def _http(method: str, url: str, data: bytes | None = None, headers=None) -> tuple[int, bytes]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(  # noqa: S310 - checked above
        url, data=data, method=method, headers={"Accept": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - checked above
        return resp.status, resp.read()


@pytest.fixture
def s3(seaweedfs, settings):
    """The configured store: a fresh Object Lock bucket on the test SeaweedFS."""
    from quancheng.lib.blobstore import blob_store_from_url

    bucket = new_bucket_name()
    settings.QC_BLOB_STORE = (
        f"s3://{bucket}?endpoint_url={seaweedfs.s3_url}&region=us-east-1"
        f"&access_key_id={seaweedfs.access_key}&secret_access_key={seaweedfs.secret_key}"
        "&part_size_mib=5&create_bucket=1"  # 6 MiB blobs go multipart
    )
    return blob_store_from_url(settings.QC_BLOB_STORE)


def _version_path(seaweedfs, store, sha256: str) -> str:
    """The filer path of the blob's (only) version file."""
    key = store.key(sha256)
    _, body = _http("GET", f"{seaweedfs.filer_url}/buckets/{store.bucket}/{key}.versions/")
    (entry,) = json.loads(body)["Entries"]
    return entry["FullPath"]


def _overwrite_first_chunk(seaweedfs, store, sha256: str) -> None:
    """Flip one byte of the blob's first stored chunk on the volume server (needle overwrite)."""
    path = _version_path(seaweedfs, store, sha256)
    _, meta = _http("GET", f"{seaweedfs.filer_url}{path}?metadata=true")
    chunk = json.loads(meta)["chunks"][0]
    _, original = _http("GET", f"{seaweedfs.volume_url}/{chunk['file_id']}")
    forged = bytes([original[0] ^ 0x01]) + original[1:]
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + forged
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _ = _http(
        "POST",
        f"{seaweedfs.volume_url}/{chunk['file_id']}",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 201
    store._versions.clear()


def outcomes():
    events = Event.objects.filter(action="fixity.checked").order_by("seq")
    return {e.object_id: json.loads(e.body)["eventOutcome"] for e in events}


def test_an_untouched_bucket_passes(s3, put_blobs):
    put_blobs(s3, n=3, size=6 * 1024 * 1024)  # multipart blobs

    sweep = run_sweep()

    assert (sweep.passed, sweep.failed, sweep.missing) == (3, 0, 0)
    assert set(outcomes().values()) == {"pass"}
    assert not Alert.objects.exists()


def test_a_blob_deleted_behind_the_lock_is_found_missing(s3, put_blobs, seaweedfs):
    infos = put_blobs(s3, n=3)
    victim = infos[1].sha256
    status, _ = _http("DELETE", f"{seaweedfs.filer_url}{_version_path(seaweedfs, s3, victim)}")
    assert status in (200, 202, 204)

    sweep = run_sweep()

    assert (sweep.passed, sweep.missing) == (2, 1)
    assert outcomes()[victim] == "missing"
    alert = Alert.objects.get()
    assert alert.kind == "fixity.missing" and alert.object_id == victim


@pytest.mark.parametrize("size", [4096, 6 * 1024 * 1024], ids=["single-part", "multipart"])
def test_a_blob_overwritten_behind_the_lock_is_found_altered(s3, put_blobs, seaweedfs, size):
    """One byte changed in the stored chunk. A single-part object carries the SHA-256 checksum
    the store wrote, and botocore refuses the bytes (FlexibleChecksumError); a multipart copy's
    bytes arrive and the sweep's own hash differs. Either way the check fails."""
    infos = put_blobs(s3, n=2, size=size)
    victim = infos[0].sha256
    _overwrite_first_chunk(seaweedfs, s3, victim)

    sweep = run_sweep()

    assert (sweep.passed, sweep.failed, sweep.missing) == (1, 1, 0)
    assert outcomes()[victim] == "fail"
    alert = Alert.objects.get()
    assert alert.kind == "fixity.mismatch" and alert.object_id == victim
    assert alert.severity == "critical"
    event = Event.objects.get(action="fixity.checked", object_id=victim)
    detail = json.loads(event.body)["eventOutcomeDetail"]
    if size == 4096:
        assert "FlexibleChecksumError" in detail
    else:
        assert detail == "message digest differs"


@pytest.mark.parametrize("size", [4096, 6 * 1024 * 1024], ids=["single-part", "multipart"])
def test_a_repair_writes_a_new_locked_version_that_is_read_from_then_on(
    s3, put_blobs, seaweedfs, size, tmp_path
):
    from django.core.management import call_command

    from quancheng.records.models import Blob

    (info,) = put_blobs(s3, n=1, size=size)
    with s3.open(info.sha256) as f:
        genuine = f.read()
    copy = tmp_path / "backup.bin"
    copy.write_bytes(genuine)
    _overwrite_first_chunk(seaweedfs, s3, info.sha256)
    assert run_sweep().failed == 1
    damaged_version = s3._resolve(info.sha256, cached=False)[0]

    call_command("repair_blob", info.sha256, str(copy), "--source", "backup")

    s3._versions.clear()
    version, _ = s3._resolve(info.sha256, cached=False)
    assert version != damaged_version  # the damaged version stays, as evidence
    mode, _until = s3.retention(info.sha256)
    assert mode == "COMPLIANCE"
    with s3.open(info.sha256) as f:
        assert f.read() == genuine
    assert Blob.objects.get(pk=info.sha256).damaged_at is None
    assert not Alert.objects.open().exists()
    assert run_sweep().passed == 1


def test_a_forged_repair_pointer_is_not_followed(s3, put_blobs):
    """Someone with the S3 credentials writes other bytes as a new version and points
    repaired/<sha256> at it: the version lacks the name's checksum, so the original is read."""
    (info,) = put_blobs(s3, n=1, size=4096)
    with s3.open(info.sha256) as f:
        genuine = f.read()
    forged = s3.client.put_object(Bucket=s3.bucket, Key=s3.key(info.sha256), Body=b"forged")
    s3.client.put_object(
        Bucket=s3.bucket,
        Key=f"repaired/{info.sha256}",
        Body=forged["VersionId"].encode(),
    )
    s3._versions.clear()

    with s3.open(info.sha256) as f:
        assert f.read() == genuine
