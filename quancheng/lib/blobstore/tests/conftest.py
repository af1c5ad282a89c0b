"""Fixtures: the ``store`` fixture runs every store test on both implementations.

The S3 half runs against the session's SeaweedFS (the ``seaweedfs`` fixture of seaweed.py).
"""

from __future__ import annotations

import pytest

from quancheng.lib.blobstore.tests.helpers import MiB
from quancheng.lib.blobstore.tests.seaweed import new_bucket_name


@pytest.fixture
def s3_store(seaweedfs):
    """An S3BlobStore on a fresh Object Lock bucket, with small parts to exercise multipart."""
    from quancheng.lib.blobstore.s3 import S3BlobStore

    store = S3BlobStore(
        seaweedfs.client(), new_bucket_name(), part_size=5 * MiB, copy_part_size=5 * MiB
    )
    store.ensure_bucket()
    return store


@pytest.fixture
def local_store(tmp_path):
    from quancheng.lib.blobstore.local import LocalBlobStore

    return LocalBlobStore(tmp_path / "blobs", chunk_size=1 * MiB)


# The S3 case is marked at its parameter: the conftest's fixture-name rule cannot see a fixture
# taken with getfixturevalue, and SeaweedFS refuses requests signed on a moved clock.
@pytest.fixture(
    params=[
        "local",
        pytest.param("s3", marks=pytest.mark.real_clock("SeaweedFS checks S3 request times")),
    ]
)
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def leftovers():
    """What an interrupted put could have left behind, per store kind (should be empty)."""
    from quancheng.lib.blobstore.local import LocalBlobStore

    def find(store) -> list[str]:
        if isinstance(store, LocalBlobStore):
            found = []
            if store.root.exists():
                for path in store.root.rglob("*"):
                    if path.is_file() and path.parent != store.tmp_dir:
                        rel = path.relative_to(store.root)
                        if len(rel.parts) != 3 or rel.parts[2][:4] != "".join(rel.parts[:2]):
                            found.append(f"stray {rel}")
                    elif path.is_file():
                        found.append(f"tmp {path.name}")
            return found
        client, bucket = store.client, store.bucket
        found = [
            f"upload {u['Key']}"
            for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads") or []
        ]
        versions = client.list_object_versions(Bucket=bucket, Prefix="incoming/")
        found += [f"incoming {v['Key']}" for v in versions.get("Versions") or []]
        return found

    return find
