import io
import os

import pytest

from quancheng.lib.blobstore import LocalBlobStore
from quancheng.records.services import register_blob


@pytest.fixture
def store(tmp_path, settings):
    """The configured store: a local folder of this test's own."""
    root = tmp_path / "blobs"
    settings.QC_BLOB_STORE = f"file://{root}"
    return LocalBlobStore(root)


@pytest.fixture
def put_blobs(db, agency):
    """Store and register ``n`` random blobs of ``size`` bytes; their BlobInfos, by SHA-256."""

    def put(store, n=5, size=10_000, registry_agency=agency):
        infos = []
        for _ in range(n):
            info = store.put(io.BytesIO(os.urandom(size)))
            register_blob(info, registry_agency)
            infos.append(info)
        return sorted(infos, key=lambda i: i.sha256)

    return put


def alter_one_byte(store: LocalBlobStore, sha256: str, offset: int = 0) -> None:
    """What an intruder with write access to the folder could do (the files are read-only)."""
    path = store.path(sha256)
    path.chmod(0o644)
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))
    path.chmod(0o444)
