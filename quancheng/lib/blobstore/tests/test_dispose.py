"""dispose(sha256): the one deletion a store offers, refused while retention or a hold is on."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from botocore.exceptions import ClientError

from quancheng.lib.blobstore import BlobNotFound, InvalidDigest, RetentionInForce


def later(**delta) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).replace(microsecond=0)


def test_dispose_removes_the_content(store):
    info = store.put(io.BytesIO(os.urandom(3000)))
    other = store.put(io.BytesIO(os.urandom(3000)))

    store.dispose(info.sha256)

    assert not store.exists(info.sha256)
    with pytest.raises(BlobNotFound):
        store.open(info.sha256)
    assert info.sha256 not in set(store.iter_blobs())
    assert store.exists(other.sha256)


def test_dispose_of_a_missing_blob_raises_blob_not_found(store):
    with pytest.raises(BlobNotFound):
        store.dispose("0" * 64)


def test_dispose_refuses_a_bad_name(store):
    with pytest.raises(InvalidDigest):
        store.dispose("../../etc/passwd")


def test_local_dispose_never_follows_a_link(local_store, tmp_path):
    info = local_store.put(io.BytesIO(b"evidence"))
    path = local_store.path(info.sha256)
    target = tmp_path / "elsewhere"
    target.write_bytes(b"do not touch")
    path.unlink()
    path.symlink_to(target)

    with pytest.raises(Exception, match="not a regular file"):
        local_store.dispose(info.sha256)
    assert target.read_bytes() == b"do not touch"


def test_s3_dispose_is_refused_while_retained(s3_store):
    info = s3_store.put(io.BytesIO(os.urandom(2000)), retain_until=later(days=1))

    with pytest.raises(RetentionInForce, match="retained until"):
        s3_store.dispose(info.sha256)
    assert s3_store.exists(info.sha256)


def test_s3_dispose_is_refused_under_a_legal_hold(s3_store):
    info = s3_store.put(io.BytesIO(os.urandom(2000)))
    s3_store.set_legal_hold(info.sha256, True)

    with pytest.raises(RetentionInForce, match="legal hold"):
        s3_store.dispose(info.sha256)
    assert s3_store.exists(info.sha256)

    s3_store.set_legal_hold(info.sha256, False)
    s3_store.dispose(info.sha256)
    assert not s3_store.exists(info.sha256)


def test_s3_server_itself_refuses_to_delete_a_locked_version(s3_store):
    """Even if the store's own check were skipped (a wrong clock), the server says no."""
    info = s3_store.put(io.BytesIO(os.urandom(2000)), retain_until=later(days=1))
    key = f"blobs/{info.sha256}"
    versions, _ = s3_store._all_versions(key)

    with pytest.raises(ClientError) as exc_info:
        s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key, VersionId=versions[0])
    assert exc_info.value.response["Error"]["Code"] == "AccessDenied"
    # Our check with a clock set after the retain-until date lets the delete through to the
    # server, which refuses it: nothing is lost.
    with pytest.raises(ClientError):
        s3_store.dispose(info.sha256, now=later(days=2))
    assert s3_store.verify(info.sha256).ok


def test_s3_server_refuses_to_delete_a_version_under_legal_hold(s3_store):
    info = s3_store.put(io.BytesIO(os.urandom(2000)))
    s3_store.set_legal_hold(info.sha256, True)
    key = f"blobs/{info.sha256}"
    versions, _ = s3_store._all_versions(key)

    with pytest.raises(ClientError) as exc_info:
        s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key, VersionId=versions[0])
    assert exc_info.value.response["Error"]["Code"] == "AccessDenied"
    assert s3_store.verify(info.sha256).ok


def test_s3_dispose_removes_every_version_and_delete_marker(s3_store):
    info = s3_store.put(io.BytesIO(os.urandom(2000)))
    key = f"blobs/{info.sha256}"
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key)  # adds a delete marker

    s3_store.dispose(info.sha256)

    listing = s3_store.client.list_object_versions(Bucket=s3_store.bucket, Prefix=key)
    assert not listing.get("Versions")
    assert not listing.get("DeleteMarkers")
