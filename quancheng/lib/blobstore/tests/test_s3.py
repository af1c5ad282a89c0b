"""Object Lock on a real SeaweedFS: what the S3 API refuses for a locked blob, and S3 specifics."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from quancheng.lib.blobstore import (
    RetentionShortening,
    StoreConfigurationError,
    blob_store_from_url,
)
from quancheng.lib.blobstore.s3 import S3BlobStore
from quancheng.lib.blobstore.tests.helpers import MiB, write_random_file
from quancheng.lib.blobstore.tests.seaweed import new_bucket_name


def later(**delta) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).replace(microsecond=0)


def http(method: str, url: str) -> tuple[int, bytes]:
    """A plain, unsigned HTTP request to the loopback test server."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(  # noqa: S310 - checked above
        url, method=method, headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - checked above
        return resp.status, resp.read()


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.fixture
def locked(s3_store):
    """A blob locked in COMPLIANCE mode for a day: (store, client, bucket, key, version, data)."""
    data = os.urandom(4096)
    info = s3_store.put(io.BytesIO(data), retain_until=later(days=1))
    key = f"blobs/{info.sha256}"
    version = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)["VersionId"]
    return s3_store, s3_store.client, s3_store.bucket, key, version, data


def test_bucket_is_created_with_object_lock_and_versioning(s3_store):
    client = s3_store.client

    lock = client.get_object_lock_configuration(Bucket=s3_store.bucket)
    assert lock["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert client.get_bucket_versioning(Bucket=s3_store.bucket)["Status"] == "Enabled"
    s3_store.ensure_bucket()  # idempotent


def test_a_bucket_without_object_lock_is_refused(seaweedfs):
    client = seaweedfs.client()
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)

    with pytest.raises(StoreConfigurationError):
        S3BlobStore(client, bucket).ensure_bucket()


@pytest.mark.parametrize("size", [1000, 12 * MiB + 3], ids=["single-put", "multipart-copy"])
def test_blobs_are_written_in_compliance_mode(s3_store, tmp_path, leftovers, size):
    path = tmp_path / "f"
    sha256 = write_random_file(path, size)
    until = later(days=400)

    with open(path, "rb") as f:
        info = s3_store.put(f, retain_until=until)

    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=f"blobs/{sha256}")
    assert info.sha256 == sha256 and info.created
    assert head["ContentLength"] == size
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    assert s3_store.retention(sha256) == ("COMPLIANCE", until)
    assert leftovers(s3_store) == []  # the incoming object and its uploads are gone
    versions = s3_store.client.list_object_versions(Bucket=s3_store.bucket)
    assert [v["Key"] for v in versions.get("Versions", [])] == [f"blobs/{sha256}"]


def test_deleting_a_locked_version_is_refused(locked):
    _store, client, bucket, key, version, data = locked

    with pytest.raises(ClientError) as exc:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        client.delete_object(
            Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True
        )
    assert error_code(exc) == "AccessDenied"

    assert client.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read() == data


def test_batch_delete_of_a_locked_version_is_refused(locked):
    _store, client, bucket, key, version, data = locked

    resp = client.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": key, "VersionId": version}]}
    )

    assert resp.get("Deleted", []) == []
    assert [e["Code"] for e in resp["Errors"]] == ["AccessDenied"]
    assert client.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read() == data


def test_a_delete_marker_hides_nothing_from_the_store(locked):
    store, client, bucket, key, _version, data = locked
    sha256 = key.removeprefix("blobs/")

    marker = client.delete_object(Bucket=bucket, Key=key)  # allowed by S3: adds a marker only

    assert marker["DeleteMarker"] is True
    store._versions.clear()  # a fresh process
    assert store.exists(sha256)
    assert store.open(sha256).read() == data
    assert store.verify(sha256).ok
    assert list(store.iter_blobs()) == [sha256]


def test_overwriting_the_key_keeps_the_locked_version(locked):
    store, client, bucket, key, version, data = locked
    sha256 = key.removeprefix("blobs/")

    new = client.put_object(Bucket=bucket, Key=key, Body=b"forged evidence")

    assert new["VersionId"] != version
    assert client.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read() == data
    store._versions.clear()  # a fresh process resolves the original, locked version
    assert store.open(sha256).read() == data
    assert store.size(sha256) == len(data)
    assert store.verify(sha256).ok


def test_shortening_the_retention_is_refused(locked):
    store, client, bucket, key, version, _data = locked
    sha256 = key.removeprefix("blobs/")
    mode, until = store.retention(sha256)

    with pytest.raises(ClientError) as exc:
        client.put_object_retention(
            Bucket=bucket,
            Key=key,
            VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - dt.timedelta(hours=1)},
        )
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:  # nor can COMPLIANCE be weakened to GOVERNANCE
        client.put_object_retention(
            Bucket=bucket,
            Key=key,
            VersionId=version,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until + dt.timedelta(days=1)},
            BypassGovernanceRetention=True,
        )
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(RetentionShortening):
        store.extend_retention(sha256, until - dt.timedelta(seconds=1))

    assert store.retention(sha256) == (mode, until)


def test_extending_the_retention_works(locked):
    store, client, bucket, key, version, _data = locked
    sha256 = key.removeprefix("blobs/")
    target = later(days=3650)

    store.extend_retention(sha256, target)
    store.extend_retention(sha256, target)  # same date: no-op

    assert store.retention(sha256) == ("COMPLIANCE", target)
    head = client.head_object(Bucket=bucket, Key=key, VersionId=version)
    assert head["ObjectLockRetainUntilDate"] == target


def test_a_second_put_extends_but_never_shortens(s3_store):
    data = b"one evidence file linked from two cases"
    first = s3_store.put(io.BytesIO(data), retain_until=later(days=10))
    extended = later(days=20)

    second = s3_store.put(io.BytesIO(data), retain_until=extended)
    assert second.created is False
    assert s3_store.retention(first.sha256) == ("COMPLIANCE", extended)

    third = s3_store.put(io.BytesIO(data), retain_until=later(days=5))

    assert third.created is False
    assert s3_store.retention(first.sha256) == ("COMPLIANCE", extended)


def test_legal_hold(locked):
    store, client, bucket, key, version, _data = locked
    sha256 = key.removeprefix("blobs/")

    store.set_legal_hold(sha256, True)
    assert store.legal_hold(sha256) is True
    assert client.get_object_legal_hold(Bucket=bucket, Key=key, VersionId=version)["LegalHold"] == {
        "Status": "ON"
    }
    with pytest.raises(ClientError) as exc:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert error_code(exc) == "AccessDenied"

    store.set_legal_hold(sha256, False)
    assert store.legal_hold(sha256) is False


def test_legal_hold_alone_protects_an_unretained_blob(s3_store):
    sha256 = s3_store.put(io.BytesIO(b"held without retention")).sha256
    client, bucket, key = s3_store.client, s3_store.bucket, f"blobs/{sha256}"
    version = client.head_object(Bucket=bucket, Key=key)["VersionId"]
    assert s3_store.retention(sha256) is None

    s3_store.set_legal_hold(sha256, True)

    with pytest.raises(ClientError) as exc:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert error_code(exc) == "AccessDenied"


def test_deleting_the_bucket_is_refused(locked):
    _store, client, bucket, key, version, data = locked

    with pytest.raises(ClientError) as exc:
        client.delete_bucket(Bucket=bucket)
    assert error_code(exc) == "BucketNotEmpty"

    # Even when delete markers hide every key, the locked versions keep the bucket alive.
    client.delete_object(Bucket=bucket, Key=key)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    with pytest.raises(ClientError) as exc:
        client.delete_bucket(Bucket=bucket)
    assert error_code(exc) == "BucketNotEmpty"
    client.head_bucket(Bucket=bucket)
    assert client.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read() == data


def test_anonymous_requests_are_refused(locked, seaweedfs):
    _store, _client, bucket, key, _version, _data = locked

    for method in ("GET", "DELETE"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            http(method, f"{seaweedfs.s3_url}/{bucket}/{key}")
        assert exc.value.code == 403


def test_incoming_objects_are_removed_under_a_default_retention(s3_store, tmp_path, leftovers):
    s3_store.client.put_object_lock_configuration(
        Bucket=s3_store.bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
        },
    )
    s3_store.check_bucket()
    path = tmp_path / "f"
    sha256 = write_random_file(path, 6 * MiB)

    with open(path, "rb") as f:
        info = s3_store.put(f)  # no explicit date: the bucket default locks the blob

    assert info.sha256 == sha256
    assert leftovers(s3_store) == []
    assert s3_store.retention(sha256)[0] == "COMPLIANCE"


def test_cleanup_aborts_stale_uploads(s3_store, leftovers):
    client, bucket = s3_store.client, s3_store.bucket
    upload = client.create_multipart_upload(Bucket=bucket, Key="incoming/crashed")
    client.upload_part(
        Bucket=bucket, Key="incoming/crashed", UploadId=upload["UploadId"], PartNumber=1, Body=b"x"
    )
    client.put_object(Bucket=bucket, Key="incoming/orphan", Body=b"left by a killed worker")
    assert len(leftovers(s3_store)) == 2

    assert s3_store.cleanup(older_than=dt.timedelta(days=1)) == 0  # too recent
    assert s3_store.cleanup(older_than=dt.timedelta(0)) == 2

    assert leftovers(s3_store) == []


def test_s3_url_against_seaweedfs(seaweedfs):
    bucket = new_bucket_name()
    store = blob_store_from_url(
        f"s3://{bucket}?endpoint_url={seaweedfs.s3_url}&region=us-east-1"
        f"&access_key_id={seaweedfs.access_key}&secret_access_key={seaweedfs.secret_key}"
        "&create_bucket=1"
    )

    info = store.put(io.BytesIO(b"via the URL"), retain_until=later(days=1))

    assert store.open(info.sha256).read() == b"via the URL"
    assert info.sha256 == hashlib.sha256(b"via the URL").hexdigest()


def test_credentials_from_the_environment(seaweedfs, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs.secret_key)
    bucket = new_bucket_name()

    store = blob_store_from_url(
        f"s3://{bucket}?endpoint_url={seaweedfs.s3_url}&region=us-east-1&create_bucket=1"
    )

    assert store.exists(hashlib.sha256(b"").hexdigest()) is False


def test_the_filer_http_port_bypasses_object_lock(locked, seaweedfs):
    """Why docs/storage.md says the filer port must be firewalled: it ignores Object Lock.

    If this starts failing, SeaweedFS protects the filer path now: update docs/storage.md.
    """
    _store, client, bucket, key, version, _data = locked
    status, body = http("GET", f"{seaweedfs.filer_url}/buckets/{bucket}/{key}.versions/")
    entries = json.loads(body)["Entries"]
    path = next(e["FullPath"] for e in entries if e["FullPath"].endswith(version))

    status, _ = http("DELETE", f"{seaweedfs.filer_url}{path}")
    assert status in (200, 202, 204)

    with pytest.raises(ClientError) as exc:
        client.get_object(Bucket=bucket, Key=key, VersionId=version)
    assert error_code(exc) in ("NoSuchVersion", "NoSuchKey")


def test_seaweedfs_copy_object_ignores_the_lock_headers(s3_store):
    """Why the store copies with UploadPartCopy: CopyObject drops the Object Lock headers.

    If this starts failing, SeaweedFS honours them now: update docs/storage.md.
    """
    client, bucket = s3_store.client, s3_store.bucket
    client.put_object(Bucket=bucket, Key="incoming/src", Body=b"x")

    copy = client.copy_object(
        Bucket=bucket,
        Key="copied",
        CopySource={"Bucket": bucket, "Key": "incoming/src"},
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=later(days=1),
        MetadataDirective="REPLACE",
    )

    head = client.head_object(Bucket=bucket, Key="copied", VersionId=copy["VersionId"])
    assert "ObjectLockMode" not in head
    client.delete_object(Bucket=bucket, Key="copied", VersionId=copy["VersionId"])  # not refused


class _IgnoresLockHeaders:
    """A client whose server drops the Object Lock headers of CreateMultipartUpload."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def create_multipart_upload(self, **kwargs):
        kwargs.pop("ObjectLockMode", None)
        kwargs.pop("ObjectLockRetainUntilDate", None)
        return self._client.create_multipart_upload(**kwargs)


def test_a_lock_the_server_dropped_is_applied_afterwards(s3_store, tmp_path):
    store = S3BlobStore(
        _IgnoresLockHeaders(s3_store.client),
        s3_store.bucket,
        part_size=5 * MiB,
        copy_part_size=5 * MiB,
    )
    path = tmp_path / "f"
    sha256 = write_random_file(path, 6 * MiB)
    until = later(days=2)

    with open(path, "rb") as f:
        store.put(f, retain_until=until)

    assert store.retention(sha256) == ("COMPLIANCE", until)
