"""Completing a tus upload: the partial file is linked into the local blob store, not copied, and a
completion that dies after the link but before its commit is finished by an empty PATCH."""

import builtins
import hashlib
import os
import stat

import pytest

from quancheng.ledger.models import Event
from quancheng.lib.blobstore import blob_store_from_url
from quancheng.records import services
from quancheng.records.models import Blob, Upload

from .conftest import PREFIX


@pytest.fixture
def tus(officer, tus_as):
    return tus_as(officer)


def upload_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_completion_links_the_partial_file_into_the_store(tus, settings):
    data = os.urandom(300_000)
    url = tus.create(len(data))["Location"]
    assert tus.patch(url, data[:100_000], 0).status_code == 204
    upload = Upload.objects.get(pk=upload_id(url))
    inode = upload.partial_path.stat().st_ino

    r = tus.patch(url, data[100_000:], 100_000)

    assert r.status_code == 204, r.content
    sha = hashlib.sha256(data).hexdigest()
    assert r["Upload-Sha256"] == sha
    blob = blob_store_from_url(settings.QC_BLOB_STORE).path(sha)
    assert blob.stat().st_ino == inode  # the received bytes were not copied a second time
    assert stat.S_IMODE(blob.stat().st_mode) == 0o400
    assert blob.read_bytes() == data
    assert not upload.partial_path.exists()


def test_a_completion_that_died_after_the_link_is_finished_by_an_empty_patch(
    tus, settings, monkeypatch
):
    data = os.urandom(50_000)
    sha = hashlib.sha256(data).hexdigest()
    url = tus.create(len(data))["Location"]
    upload = Upload.objects.get(pk=upload_id(url))

    def dies(info, agency):
        raise RuntimeError("the worker died before the completion committed")

    monkeypatch.setattr(services, "register_blob", dies)
    with pytest.raises(RuntimeError, match="worker died"):
        tus.patch(url, data, 0)
    monkeypatch.undo()

    # The bytes are in the store under their hash, the upload is not complete yet.
    upload.refresh_from_db()
    assert (upload.status, upload.offset) == (Upload.Status.RECEIVING, len(data))
    store = blob_store_from_url(settings.QC_BLOB_STORE)
    assert store.verify(sha).ok
    assert stat.S_IMODE(upload.partial_path.stat().st_mode) == 0o400
    assert not Blob.objects.exists()
    assert not Event.objects.filter(action="upload.completed").exists()

    # As a non-root server would: the read-only partial file cannot be opened for writing.
    real_open = builtins.open

    def open_as_non_root(path, mode="r", *args, **kwargs):
        if "+" in mode and stat.S_IMODE(os.stat(path).st_mode) == 0o400:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(services, "open", open_as_non_root, raising=False)
    assert tus.patch(url, data[:10], 0).status_code == 409  # still the committed offset

    # An empty PATCH at the end (the test client drops the content type of an empty body).
    r = tus.client.patch(
        url,
        b"",
        headers=tus.headers({"Upload-Offset": str(len(data))}),
        CONTENT_TYPE="application/offset+octet-stream",
        CONTENT_LENGTH="0",
    )

    assert r.status_code == 204, r.content
    assert r["Upload-Sha256"] == sha
    upload.refresh_from_db()
    assert (upload.status, upload.sha256) == (Upload.Status.COMPLETE, sha)
    assert Blob.objects.get().sha256 == sha
    assert Event.objects.filter(action="upload.completed").count() == 1
    assert not upload.partial_path.exists()
    assert store.verify(sha).ok
    assert tus.get(f"{PREFIX}{upload.id}").json()["status"] == "complete"


def test_the_hash_state_is_committed_with_each_offset(tus):
    """Any worker continues the hash: its state is stored with the offset, never re-derived."""
    from quancheng.lib.sha256state import ResumableSha256

    data = os.urandom(200_000)
    url = tus.create(len(data))["Location"]
    upload_pk = upload_id(url)
    for start, end in ((0, 70_000), (70_000, 130_000)):
        assert tus.patch(url, data[start:end], start).status_code == 204
        upload = Upload.objects.get(pk=upload_pk)
        assert upload.offset == end
        state = ResumableSha256(bytes(upload.hash_state))
        assert state.hexdigest() == hashlib.sha256(data[:end]).hexdigest()


def test_completion_never_rereads_what_the_patches_hashed(tus, settings, monkeypatch):
    from quancheng.lib.blobstore.local import LocalBlobStore

    given = []
    real = LocalBlobStore.put_file

    def spy(self, path, **kwargs):
        given.append(kwargs.get("sha256"))
        return real(self, path, **kwargs)

    monkeypatch.setattr(LocalBlobStore, "put_file", spy)
    data = os.urandom(200_000)
    url = tus.create(len(data))["Location"]
    for start, end in ((0, 70_000), (70_000, 130_000), (130_000, len(data))):
        r = tus.patch(url, data[start:end], start)
        assert r.status_code == 204, r.content
    sha = hashlib.sha256(data).hexdigest()
    assert r["Upload-Sha256"] == sha
    assert given == [sha]  # the store was handed the digest: it did not hash the file again
    assert blob_store_from_url(settings.QC_BLOB_STORE).path(sha).read_bytes() == data
    upload = Upload.objects.get(pk=upload_id(url))
    assert (upload.sha256, upload.hash_state) == (sha, None)  # the state ends with the upload


def test_an_upload_without_a_hash_state_is_hashed_from_its_file(tus, settings):
    """An upload from before states were kept (or without libcrypto) still gets its hash."""
    data = os.urandom(90_000)
    url = tus.create(len(data))["Location"]
    assert tus.patch(url, data[:30_000], 0).status_code == 204
    Upload.objects.filter(pk=upload_id(url)).update(hash_state=None)
    assert tus.patch(url, data[30_000:60_000], 30_000).status_code == 204
    assert Upload.objects.get(pk=upload_id(url)).hash_state is None  # nothing to continue from
    r = tus.patch(url, data[60_000:], 60_000)
    assert r["Upload-Sha256"] == hashlib.sha256(data).hexdigest()
    assert blob_store_from_url(settings.QC_BLOB_STORE).path(r["Upload-Sha256"]).exists()


def test_a_failed_patch_leaves_no_wrong_hash_state(tus):
    from quancheng.lib.sha256state import ResumableSha256

    data = os.urandom(90_000)
    url = tus.create(len(data))["Location"]
    assert tus.patch(url, data[:30_000], 0).status_code == 204
    upload = Upload.objects.get(pk=upload_id(url))
    assert ResumableSha256(bytes(upload.hash_state)).hexdigest() == (
        hashlib.sha256(data[:30_000]).hexdigest()
    )
    # The client resends a different middle after a failure: the state follows the bytes kept.
    assert tus.patch(url, b"x" * 10_000, 30_000).status_code == 204
    r = tus.patch(url, data[40_000:], 40_000)
    expected = data[:30_000] + b"x" * 10_000 + data[40_000:]
    assert r["Upload-Sha256"] == hashlib.sha256(expected).hexdigest()


def test_a_reupload_of_a_damaged_blob_repairs_it_instead_of_deduplicating(tus, settings):
    from quancheng.alerts.models import Alert
    from quancheng.fixity.tests.conftest import alter_one_byte
    from quancheng.records.stream import StreamIntegrityError, verified_chunks

    data = os.urandom(200_000)
    sha = hashlib.sha256(data).hexdigest()
    url = tus.create(len(data))["Location"]
    assert tus.patch(url, data, 0).status_code == 204
    store = blob_store_from_url(settings.QC_BLOB_STORE)
    alter_one_byte(store, sha, offset=1234)
    with pytest.raises(StreamIntegrityError):
        list(verified_chunks(sha))  # a download finds the damage: alert, blob marked damaged
    assert Alert.objects.open().filter(kind="fixity.mismatch", object_id=sha).exists()

    again = tus.create(len(data))["Location"]
    r = tus.patch(again, data, 0)

    assert r.status_code == 204, r.content
    assert r["Upload-Deduplicated"] == "false"
    assert store.path(sha).read_bytes() == data  # the stored copy is the genuine one again
    assert Blob.objects.get(pk=sha).damaged_at is None
    repaired = Event.objects.get(action="blob.repaired")
    assert (
        repaired.object_id == sha and repaired.actor == Upload.objects.get(pk=upload_id(again)).user
    )
    assert not Alert.objects.open().filter(object_id=sha).exists()
    assert Event.objects.filter(action="alert.closed").count() == 1
