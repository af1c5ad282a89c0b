"""The S3 path: a tus upload into a SeaweedFS bucket with Object Lock ends as a locked blob.

Uses the blob store suite's ``weed mini`` fixture (skipped only when no ``weed`` binary exists).
"""

import base64
import datetime as dt
import hashlib
import os
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError
from django.test import Client

from quancheng.lib.blobstore.s3 import S3BlobStore
from quancheng.lib.blobstore.tests.seaweed import new_bucket_name
from quancheng.records.models import Blob, Segment, Upload
from quancheng.records.services import blob_store

from .conftest import PREFIX, TUS

MiB = 1024 * 1024


@pytest.fixture
def s3_bucket(seaweedfs, settings):
    """QC_BLOB_STORE pointing at a fresh Object Lock bucket (5 MiB parts: multipart above that)."""
    bucket = new_bucket_name()
    S3BlobStore(seaweedfs.client(), bucket).ensure_bucket()
    query = urlencode(
        {
            "endpoint_url": seaweedfs.s3_url,
            "region": "us-east-1",
            "access_key_id": seaweedfs.access_key,
            "secret_access_key": seaweedfs.secret_key,
            "part_size_mib": "5",
        }
    )
    settings.QC_BLOB_STORE = f"s3://{bucket}?{query}"
    return bucket


def _session(user) -> tuple[Client, dict]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")
    return client, {**TUS, "X-CSRFToken": client.cookies["csrftoken"].value}


def _upload(client, headers, data: bytes, chunk: int, act) -> Upload:
    r = client.generic(
        "POST",
        PREFIX,
        b"",
        headers={**headers, "Upload-Length": str(len(data)), "Upload-Metadata": f"act {_b64(act)}"},
    )
    assert r.status_code == 201, r.content
    url = r["Location"]
    offset = 0
    while offset < len(data):
        r = client.patch(
            url,
            data[offset : offset + chunk],
            content_type="application/offset+octet-stream",
            headers={**headers, "Upload-Offset": str(offset)},
        )
        assert r.status_code == 204, r.content
        offset = int(r["Upload-Offset"])
    return Upload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1])


def _b64(act) -> str:
    return base64.b64encode(str(act.pk).encode()).decode()


@pytest.mark.parametrize("size", [1 * MiB + 7, 6 * MiB + 3], ids=["single-put", "multipart"])
def test_a_tus_upload_ends_as_a_locked_registered_blob(officer, act, s3_bucket, size):
    data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(size - 24)
    sha256 = hashlib.sha256(data).hexdigest()
    client, headers = _session(officer)
    before = dt.datetime.now(dt.UTC)

    upload = _upload(client, headers, data, 2 * MiB, act)

    assert upload.status == Upload.Status.COMPLETE and upload.sha256 == sha256
    assert upload.blob_created is True
    assert Blob.objects.get(sha256=sha256).size == len(data)
    store = blob_store()
    assert isinstance(store, S3BlobStore) and store.bucket == s3_bucket
    mode, until = store.retention(sha256)
    assert mode == "COMPLIANCE"
    assert until >= before + dt.timedelta(days=183) - dt.timedelta(seconds=1)
    # WORM: the locked version cannot be deleted through the S3 API.
    key = f"blobs/{sha256}"
    version = store.client.head_object(Bucket=s3_bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError):
        store.client.delete_object(Bucket=s3_bucket, Key=key, VersionId=version)
    assert hashlib.sha256(store.open(sha256).read()).hexdigest() == sha256
    # No partial file left behind, and the upload attaches as a segment of the act.
    assert not upload.partial_path.exists()
    r = client.post(
        f"/acts/{act.pk}/upload/attach",
        {"upload_id": str(upload.pk), "kind": "segment"},
        headers={"X-CSRFToken": headers["X-CSRFToken"]},
    )
    assert r.status_code == 201, r.content
    assert Segment.objects.get().blob_id == sha256


def test_the_same_bytes_again_are_not_stored_twice(officer, act, s3_bucket):
    data = b"\x00\x00\x00\x18ftypisom" + os.urandom(300_000)
    client, headers = _session(officer)
    first = _upload(client, headers, data, 100_000, act)
    second = _upload(client, headers, data, 100_000, act)
    assert (first.blob_created, second.blob_created) == (True, False)
    store = blob_store()
    versions = store.client.list_object_versions(Bucket=s3_bucket, Prefix="blobs/")
    assert len(versions.get("Versions") or []) == 1
    assert Blob.objects.count() == 1
