"""The store suite: every test runs on the local store and on S3 (SeaweedFS with Object Lock)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading
import tracemalloc

import pytest

from quancheng.lib.blobstore import (
    BlobInfo,
    BlobNotFound,
    IntegrityError,
    InvalidDigest,
    VerifyResult,
)
from quancheng.lib.blobstore.local import LocalBlobStore
from quancheng.lib.blobstore.tests.helpers import (
    GeneratedStream,
    MiB,
    SourceFailed,
    sha256_of_stream,
    write_random_file,
)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def later(days: int = 1) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def read_all(store, sha256, start=0, end=None) -> bytes:
    with store.open(sha256, start, end) as f:
        return f.read()


def test_put_then_open_returns_the_same_bytes(store):
    data = b"record 2026-0001: on-site inspection, body camera BC-17\n" * 100
    info = store.put(io.BytesIO(data))

    assert info == BlobInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), created=True)
    assert read_all(store, info.sha256) == data
    assert store.exists(info.sha256)
    assert store.size(info.sha256) == len(data)
    assert list(store.iter_blobs()) == [info.sha256]


def test_same_bytes_are_stored_once(store, leftovers):
    data = os.urandom(1000)
    first = store.put(io.BytesIO(data))
    second = store.put(io.BytesIO(data), retain_until=later())

    assert first.created is True
    assert second.created is False
    assert second.sha256 == first.sha256 and second.size == first.size
    assert list(store.iter_blobs()) == [first.sha256]
    assert leftovers(store) == []


def test_same_large_bytes_are_stored_once(store, leftovers, tmp_path):
    path = tmp_path / "clip.mp4"
    sha256 = write_random_file(path, 11 * MiB)  # several chunks / S3 parts
    with open(path, "rb") as f:
        first = store.put(f, retain_until=later())
    with open(path, "rb") as f:
        second = store.put(f, retain_until=later())

    assert (first.created, second.created) == (True, False)
    assert first.sha256 == second.sha256 == sha256
    assert list(store.iter_blobs()) == [sha256]
    assert leftovers(store) == []


def test_range_reads(store):
    data = bytes(range(256)) * 40  # 10 240 bytes
    sha256 = store.put(io.BytesIO(data)).sha256

    for start, end in [
        (0, None),
        (0, 1),
        (1, 2),
        (100, 5000),
        (5000, None),
        (len(data) - 1, None),
        (len(data) - 10, len(data) + 500),  # clamped at the end
        (7, 7),  # empty range
        (len(data), None),  # start at the end: empty
        (len(data) + 100, len(data) + 200),  # start past the end: empty
    ]:
        assert read_all(store, sha256, start, end) == data[start:end], (start, end)


def test_open_gives_a_readable_binary_file_that_streams(store):
    data = os.urandom(3 * MiB)
    sha256 = store.put(io.BytesIO(data)).sha256

    f = store.open(sha256, 10)
    assert f.readable()
    pieces = []
    while piece := f.read(64 * 1024):
        assert len(piece) <= 64 * 1024
        pieces.append(piece)
    f.close()
    assert f.closed
    assert b"".join(pieces) == data[10:]


def test_bad_ranges_are_refused(store):
    sha256 = store.put(io.BytesIO(b"abc")).sha256
    with pytest.raises(ValueError, match="start must be >= 0"):
        store.open(sha256, -1)
    with pytest.raises(ValueError, match="end must be >= start"):
        store.open(sha256, 2, 1)


def test_missing_blob(store):
    missing = hashlib.sha256(b"never stored").hexdigest()

    assert not store.exists(missing)
    with pytest.raises(BlobNotFound):
        store.open(missing)
    with pytest.raises(BlobNotFound):
        store.size(missing)
    with pytest.raises(BlobNotFound):
        store.verify(missing)
    with pytest.raises(BlobNotFound):
        store.extend_retention(missing, later())
    with pytest.raises(BlobNotFound):
        store.set_legal_hold(missing, True)


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "", "abc", "G" * 64, EMPTY_SHA256.upper(), EMPTY_SHA256 + "\n"],
)
def test_malformed_digests_are_refused(store, bad):
    for call in (store.exists, store.size, store.open, store.verify):
        with pytest.raises(InvalidDigest):
            call(bad)


def test_empty_blob(store):
    info = store.put(io.BytesIO(b""))

    assert info == BlobInfo(sha256=EMPTY_SHA256, size=0, created=True)
    assert read_all(store, EMPTY_SHA256) == b""
    assert read_all(store, EMPTY_SHA256, 0, 10) == b""
    assert store.verify(EMPTY_SHA256).ok


def test_file_larger_than_a_chunk_from_disk(store, tmp_path, leftovers):
    path = tmp_path / "bodycam.mp4"
    size = 20 * MiB + 12345  # not a multiple of the chunk or part size
    expected = write_random_file(path, size)

    with open(path, "rb") as f:
        info = store.put(f, retain_until=later())

    assert info == BlobInfo(sha256=expected, size=size, created=True)
    with store.open(info.sha256) as f:
        assert sha256_of_stream(f) == (expected, size)
    with open(path, "rb") as f:
        f.seek(9 * MiB)
        assert read_all(store, info.sha256, 9 * MiB, 9 * MiB + 4096) == f.read(4096)
    assert store.verify(info.sha256) == VerifyResult(expected, expected, True, size)
    assert leftovers(store) == []


def test_put_file_stores_a_finished_file_once(store, tmp_path, leftovers):
    path = tmp_path / "upload.part"
    size = 3 * MiB + 1
    expected = write_random_file(path, size)

    info = store.put_file(path, retain_until=later())
    again = store.put_file(path)

    assert info == BlobInfo(sha256=expected, size=size, created=True)
    assert again == BlobInfo(sha256=expected, size=size, created=False)
    path.unlink()  # the caller removes its name; the blob stays whole
    assert store.verify(expected) == VerifyResult(expected, expected, True, size)
    assert leftovers(store) == []


def test_put_file_with_the_callers_digest(store, tmp_path, leftovers):
    path = tmp_path / "upload.part"
    expected = write_random_file(path, MiB + 3)

    info = store.put_file(path, sha256=expected)

    assert info == BlobInfo(sha256=expected, size=MiB + 3, created=True)
    assert store.verify(expected).ok
    with pytest.raises(InvalidDigest):
        store.put_file(path, sha256="../../etc/passwd")


def test_a_copying_put_file_refuses_a_wrong_digest(tmp_path):
    # A store that copies (another filesystem, S3) checks the digest against what it stored.
    store = LocalBlobStore(tmp_path / "store")
    path = tmp_path / "upload.part"
    expected = write_random_file(path, 1000)
    with pytest.raises(IntegrityError):
        super(LocalBlobStore, store).put_file(path, sha256="0" * 64)
    assert store.put_file(path, sha256=expected).sha256 == expected


def test_put_streams_without_holding_the_file_in_memory(store):
    size = 20 * MiB
    source = GeneratedStream(size)
    tracemalloc.start()
    try:
        info = store.put(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert info.sha256 == source.sha256 and info.size == size
    # One chunk (local, 1 MiB) or about one S3 part (5 MiB) plus copies, never the whole file.
    chunk = store.chunk_size if isinstance(store, LocalBlobStore) else store.part_size
    assert peak < 3 * chunk + 2 * MiB, f"peak {peak / MiB:.1f} MiB for a {size // MiB} MiB put"


@pytest.mark.parametrize("fail_after", [100, 3 * MiB, 12 * MiB])
def test_source_failing_mid_stream_leaves_nothing_visible(store, leftovers, fail_after):
    source = GeneratedStream(20 * MiB, fail_after=fail_after)

    with pytest.raises(SourceFailed):
        store.put(source, retain_until=later())

    assert list(store.iter_blobs()) == []
    assert leftovers(store) == []


def test_verify_ok(store):
    data = os.urandom(2 * MiB + 1)
    sha256 = store.put(io.BytesIO(data)).sha256

    assert store.verify(sha256) == VerifyResult(sha256, sha256, True, len(data))


def test_verify_detects_a_corrupted_blob(store):
    if not isinstance(store, LocalBlobStore):
        pytest.skip(
            "an Object-Locked S3 version cannot be altered through the S3 API; "
            "test_s3.py shows that overwrites leave the locked version intact"
        )
    data = os.urandom(4096)
    sha256 = store.put(io.BytesIO(data)).sha256
    path = store.path(sha256)
    path.chmod(0o644)  # stored read-only; an attacker or a bad disk does not care
    corrupted = bytearray(data)
    corrupted[1000] ^= 0xFF
    with open(path, "r+b") as f:
        f.seek(1000)
        f.write(corrupted[1000:1001])

    result = store.verify(sha256)

    assert result.ok is False
    assert result.expected == sha256
    assert result.actual == hashlib.sha256(corrupted).hexdigest()
    assert result.size == len(data)


def test_extend_retention_accepts_a_later_date(store):
    sha256 = store.put(io.BytesIO(b"keep me"), retain_until=later(1)).sha256

    store.extend_retention(sha256, later(30))
    store.extend_retention(sha256, later(30 * 365))


def test_retention_dates_must_be_timezone_aware(store):
    naive = dt.datetime(2030, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="must be timezone-aware"):
        store.put(io.BytesIO(b"x"), retain_until=naive)
    sha256 = store.put(io.BytesIO(b"x")).sha256
    with pytest.raises(ValueError, match="must be timezone-aware"):
        store.extend_retention(sha256, naive)


def test_concurrent_puts_of_the_same_bytes_store_one_blob(store, leftovers):
    data = os.urandom(256 * 1024)
    results: list[BlobInfo] = []
    errors: list[BaseException] = []

    def put():
        try:
            results.append(store.put(io.BytesIO(data), retain_until=later()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len({r.sha256 for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert list(store.iter_blobs()) == [results[0].sha256]
    assert store.verify(results[0].sha256).ok
    assert leftovers(store) == []


def test_cleanup_keeps_blobs(store):
    sha256 = store.put(io.BytesIO(b"kept")).sha256

    store.cleanup(older_than=dt.timedelta(0))

    assert read_all(store, sha256) == b"kept"
