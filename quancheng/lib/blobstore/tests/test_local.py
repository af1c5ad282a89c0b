"""LocalBlobStore specifics: layout, read-only files, crash safety, and the URL factory."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import os
import stat
import threading

import pytest

from quancheng.lib.blobstore import (
    IntegrityError,
    StoreConfigurationError,
    blob_store_from_url,
)
from quancheng.lib.blobstore.local import READ_ONLY, LocalBlobStore
from quancheng.lib.blobstore.tests.helpers import GeneratedStream, MiB, SourceFailed


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_layout_and_read_only_files(local_store):
    data = b"inspection record"
    sha256 = hashlib.sha256(data).hexdigest()

    local_store.put(io.BytesIO(data))

    path = local_store.root / sha256[:2] / sha256[2:4] / sha256
    assert local_store.path(sha256) == path
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == READ_ONLY
    assert files_under(local_store.root) == [f"{sha256[:2]}/{sha256[2:4]}/{sha256}"]
    assert list(local_store.tmp_dir.iterdir()) == []


def test_stored_file_is_never_rewritten(local_store):
    data = os.urandom(5000)
    info = local_store.put(io.BytesIO(data))
    path = local_store.path(info.sha256)
    before = path.stat()

    again = local_store.put(io.BytesIO(data))

    after = path.stat()
    assert again.created is False
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_crash_before_the_link_leaves_nothing_visible(local_store, monkeypatch):
    def power_cut(src, dst):
        raise OSError(errno.EIO, "simulated crash before the blob got its name")

    monkeypatch.setattr(os, "link", power_cut)

    with pytest.raises(OSError, match="simulated crash"):
        local_store.put(GeneratedStream(3 * MiB))

    assert list(local_store.iter_blobs()) == []
    assert files_under(local_store.root) == []


def test_source_failure_removes_the_temporary_file(local_store):
    with pytest.raises(SourceFailed):
        local_store.put(GeneratedStream(5 * MiB, fail_after=2 * MiB))

    assert files_under(local_store.root) == []


def test_temporary_files_of_a_killed_process_are_invisible_and_cleaned(local_store):
    # What `kill -9` mid-put leaves: a partial file in root/tmp/.
    local_store.tmp_dir.mkdir(parents=True)
    stale = local_store.tmp_dir / "put-crashed.part"
    stale.write_bytes(b"half a video")
    old = dt.datetime.now(dt.UTC).timestamp() - 3 * 86400
    os.utime(stale, (old, old))
    fresh = local_store.tmp_dir / "put-running.part"
    fresh.write_bytes(b"an upload in progress")

    assert list(local_store.iter_blobs()) == []
    assert local_store.cleanup(older_than=dt.timedelta(days=1)) == 1
    assert not stale.exists()
    assert fresh.exists()


def test_stray_files_are_not_blobs(local_store):
    sha256 = local_store.put(io.BytesIO(b"real")).sha256
    (local_store.root / "ab").mkdir(exist_ok=True)
    (local_store.root / "ab" / "README").write_text("not a blob")
    (local_store.root / "zz").mkdir()
    misplaced = local_store.root / "zz" / "zz"
    misplaced.mkdir()
    (misplaced / sha256).write_bytes(b"real")

    assert list(local_store.iter_blobs()) == [sha256]


def test_filesystem_without_hard_links_falls_back_to_rename(local_store, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)

    info = local_store.put(io.BytesIO(b"on a FAT-like filesystem"))

    assert local_store.path(info.sha256).read_bytes() == b"on a FAT-like filesystem"
    assert list(local_store.tmp_dir.iterdir()) == []


def test_an_existing_blob_of_the_wrong_size_is_reported(local_store):
    data = b"original bytes"
    sha256 = local_store.put(io.BytesIO(data)).sha256
    path = local_store.path(sha256)
    path.chmod(0o644)
    path.write_bytes(b"truncated")

    with pytest.raises(IntegrityError):
        local_store.put(io.BytesIO(data))
    assert list(local_store.tmp_dir.iterdir()) == []


def test_stream_without_readinto(local_store):
    class ReadOnly:
        def __init__(self, data):
            self._f = io.BytesIO(data)

        def read(self, n=-1):
            return self._f.read(min(n, 1000))  # short reads

    data = os.urandom(3 * MiB + 7)
    info = local_store.put(ReadOnly(data))

    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert local_store.path(info.sha256).read_bytes() == data


def test_retention_and_legal_hold_are_accepted_but_not_enforced(local_store):
    assert LocalBlobStore.enforces_retention is False
    until = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    sha256 = local_store.put(io.BytesIO(b"x"), retain_until=until).sha256

    local_store.extend_retention(sha256, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))  # not recorded
    local_store.set_legal_hold(sha256, True)


# --- factory ------------------------------------------------------------------------------------


def test_file_url(tmp_path):
    store = blob_store_from_url(f"file://{tmp_path}/blobs")

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"


@pytest.mark.parametrize(
    "url",
    [
        "file://relative/path",
        "file:relative",
        "ftp://host/x",
        "blobs",
        "s3://",
        "s3://bucket/sub/path",
        "s3://bucket?endpoint=http://x",  # misspelt option
        "s3://bucket?part_size_mib=big",
    ],
)
def test_bad_urls(url):
    with pytest.raises(StoreConfigurationError):
        blob_store_from_url(url)


def test_s3_url_builds_a_client_without_contacting_the_server():
    from quancheng.lib.blobstore.s3 import S3BlobStore

    store = blob_store_from_url(
        "s3://evidence?endpoint_url=http://127.0.0.1:1&region=us-east-1"
        "&access_key_id=AK&secret_access_key=SK&part_size_mib=16"
    )

    assert isinstance(store, S3BlobStore)
    assert store.bucket == "evidence"
    assert store.part_size == 16 * MiB
    assert store.client.meta.endpoint_url == "http://127.0.0.1:1"
    assert store.client.meta.region_name == "us-east-1"
    assert store.client.meta.config.s3["addressing_style"] == "path"


def test_s3_url_needs_both_keys_or_neither():
    with pytest.raises(StoreConfigurationError):
        blob_store_from_url("s3://b?endpoint_url=http://127.0.0.1:1&access_key_id=AK")


# --- put_file: a finished file taken in by a hard link, without copying its bytes ---------------


def finished_file(tmp_path, data: bytes):
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    path.chmod(0o644)
    return path


def test_put_file_links_the_file_in_without_copying(local_store, tmp_path):
    data = os.urandom(3 * MiB + 7)
    source = finished_file(tmp_path, data)

    info = local_store.put_file(source)

    assert (info.sha256, info.size, info.created) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
        True,
    )
    blob = local_store.path(info.sha256)
    assert blob.stat().st_ino == source.stat().st_ino  # the same inode: no copy was made
    assert stat.S_IMODE(blob.stat().st_mode) == READ_ONLY
    assert blob.read_bytes() == data
    assert list(local_store.tmp_dir.iterdir()) == []
    source.unlink()  # what the caller does next; the blob stays
    assert local_store.verify(info.sha256).ok


def test_put_file_of_bytes_already_stored_keeps_the_blob_and_the_file(local_store, tmp_path):
    data = b"the same clip twice"
    first = local_store.put(io.BytesIO(data))
    before = local_store.path(first.sha256).stat()
    source = finished_file(tmp_path, data)

    info = local_store.put_file(source)

    assert (info.sha256, info.created) == (first.sha256, False)
    after = local_store.path(first.sha256).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert stat.S_IMODE(source.stat().st_mode) == 0o644


def test_put_file_crash_before_the_link_leaves_nothing_visible(local_store, tmp_path, monkeypatch):
    source = finished_file(tmp_path, os.urandom(MiB))

    def power_cut(src, dst):
        raise OSError(errno.EIO, "simulated crash before the blob got its name")

    monkeypatch.setattr(os, "link", power_cut)

    with pytest.raises(OSError, match="simulated crash"):
        local_store.put_file(source)

    assert list(local_store.iter_blobs()) == []
    assert files_under(local_store.root) == []
    assert stat.S_IMODE(source.stat().st_mode) == 0o644  # still the caller's, writable


@pytest.mark.parametrize("error", [errno.EXDEV, errno.EPERM])
def test_put_file_copies_when_it_cannot_link(local_store, tmp_path, monkeypatch, error):
    data = os.urandom(2 * MiB)
    source = finished_file(tmp_path, data)
    real_link = os.link

    def link(src, dst):
        if str(src) == str(source):
            raise OSError(error, "cannot link here")
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", link)

    info = local_store.put_file(source)

    blob = local_store.path(info.sha256)
    assert info.created is True
    assert blob.read_bytes() == data
    assert blob.stat().st_ino != source.stat().st_ino
    assert stat.S_IMODE(blob.stat().st_mode) == READ_ONLY
    assert stat.S_IMODE(source.stat().st_mode) == 0o644
    assert list(local_store.tmp_dir.iterdir()) == []


def test_a_regular_file_is_copied_by_the_kernel_from_its_own_position(local_store, tmp_path):
    data = os.urandom(3 * MiB + 17)
    source = tmp_path / "clip.mp4"
    source.write_bytes(data)
    with open(source, "rb") as f:  # buffered: its descriptor runs ahead of its position
        assert f.read(100) == data[:100]
        info = local_store.put(f)
        assert f.read() == b""  # left at the end, as a read would leave it
    assert info.sha256 == hashlib.sha256(data[100:]).hexdigest()
    assert info.size == len(data) - 100
    assert local_store.path(info.sha256).read_bytes() == data[100:]


def test_without_a_kernel_copy_the_bytes_are_written_while_hashing(
    local_store, tmp_path, monkeypatch
):
    def refused(*args):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refused)
    source = tmp_path / "doc.pdf"
    source.write_bytes(b"%PDF-1.7 not a real pdf")
    with open(source, "rb") as f:
        info = local_store.put(f)
    assert info.sha256 == hashlib.sha256(b"%PDF-1.7 not a real pdf").hexdigest()


def test_a_kernel_copy_failing_midway_leaves_nothing(local_store, tmp_path, monkeypatch):
    real = os.copy_file_range
    calls = []

    def fails_second_time(*args):
        calls.append(args)
        if len(calls) > 1:
            raise OSError(errno.EIO, "disk error")
        return real(args[0], args[1], 1 * MiB, *args[3:])

    monkeypatch.setattr(os, "copy_file_range", fails_second_time)
    source = tmp_path / "big.mp4"
    source.write_bytes(os.urandom(3 * MiB))
    with open(source, "rb") as f, pytest.raises(OSError, match="disk error"):
        local_store.put(f)
    assert list(local_store.iter_blobs()) == []
    assert files_under(local_store.root) == []


def test_the_copy_is_hashed_while_it_is_being_made(local_store, tmp_path, monkeypatch):
    """The kernel copy runs a step at a time in a thread and the hash follows it: here the
    copier may not go past its first step before that step has been hashed (an implementation
    that copies everything first and hashes after would copy on in the caller's thread)."""
    from quancheng.lib.blobstore import local

    monkeypatch.setattr(local, "COPY_STEP", 1 * MiB)
    caller = threading.current_thread()
    first_hashed = threading.Event()
    log = []
    real_copy, real_preadv = os.copy_file_range, os.preadv

    def copy(src, dst, count, offset_src, offset_dst):
        in_caller = threading.current_thread() is caller
        if offset_dst > 0 and not in_caller:
            first_hashed.wait()
        log.append(("copy", offset_dst, in_caller))
        return real_copy(src, dst, min(count, MiB), offset_src, offset_dst)

    def preadv(fd, buffers, offset):
        log.append(("hash", offset))
        n = real_preadv(fd, buffers, offset)
        first_hashed.set()
        return n

    monkeypatch.setattr(os, "copy_file_range", copy)
    monkeypatch.setattr(os, "preadv", preadv)
    data = os.urandom(3 * MiB + 5)
    source = tmp_path / "film.mp4"
    source.write_bytes(data)
    with open(source, "rb") as f:
        info = local_store.put(f)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert local_store.path(info.sha256).read_bytes() == data
    copies = [entry for entry in log if entry[0] == "copy"]
    assert copies[0] == ("copy", 0, True)  # the first step in the caller (a refusal falls back)
    assert all(not in_caller for _, offset, in_caller in copies[1:])  # the rest in the copier
    assert log.index(("hash", 0)) < log.index(("copy", 1 * MiB, False))
