"""Blob store in a local folder: ``root/ab/cd/<sha256>``, written crash-safely.

A put streams into a temporary file under ``root/tmp/`` while hashing (a regular file is copied
inside the kernel with copy_file_range and the copy hashed instead), fsyncs it, makes it
read-only (0o400) and hard-links it to its final name (``os.link`` never replaces an existing
file), fsyncs the directory and removes the temporary name. A crash at any point leaves at most a
file in ``root/tmp/`` (removed by :meth:`LocalBlobStore.cleanup`), never a partial blob under its
name. If the final name already exists the temporary file is discarded.

Retention and legal holds are accepted but cannot be enforced: anyone with write access to the
folder can delete files. Use the S3 store with Object Lock where WORM must hold.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from quancheng.lib.blobstore import (
    _SHA256_RE,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobStoreError,
    IntegrityError,
    MiB,
    check_range,
    normalise_retain_until,
    validate_sha256,
)

_HEX2 = frozenset(f"{i:02x}" for i in range(256))
# Stored blobs: read-only, and for the platform's user alone (docs/security.md).
READ_ONLY = 0o400
_NO_HARDLINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
# copy_file_range refusals that mean "copy it yourself" (old kernels, other filesystems).
_NO_KERNEL_COPY = {errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(stream: BinaryIO, size: int) -> Iterator[bytes | memoryview]:
    """The stream's bytes in pieces of at most ``size``, reusing one buffer when possible."""
    readinto = getattr(stream, "readinto", None)
    if readinto is None:
        while chunk := stream.read(size):
            yield chunk
        return
    buf = bytearray(size)
    with memoryview(buf) as view:
        while n := readinto(view):
            yield view[:n]


def _hash_file(f, chunk_size: int) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    for chunk in _chunks(f, chunk_size):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def _regular_file_position(stream) -> tuple[int, int] | None:
    """(fd, logical position) of a stream over a seekable regular file; None for anything else."""
    try:
        if not stream.seekable():
            return None
        fd = stream.fileno()
        position = stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return None
    return fd, position


# The kernel copy advances in steps of this size, so that hashing can follow close behind.
COPY_STEP = 16 * MiB
# The copy is hashed in reads of this size: the buffer stays in the core's cache between the
# read and the hash (larger reads send every byte out to memory and back).
HASH_READ = 256 * 1024


class _CopyProgress:
    """How far the copier thread has got: bytes copied, done, or the error it met."""

    def __init__(self, copied: int):
        self.copied = copied
        self.done = False
        self.error: BaseException | None = None
        self.changed = threading.Condition()

    def update(self, *, copied: int | None = None, done=False, error=None) -> None:
        with self.changed:
            if copied is not None:
                self.copied = copied
            self.done = self.done or done
            self.error = self.error or error
            self.changed.notify_all()

    def wait_beyond(self, hashed: int) -> tuple[int, bool, BaseException | None]:
        with self.changed:
            while self.copied <= hashed and not self.done and self.error is None:
                self.changed.wait()
            return self.copied, self.done, self.error


def _kernel_copy_hashing(stream, f, chunk_size: int = HASH_READ) -> tuple[str, int] | None:  # noqa: C901 - each copy_file_range outcome handled where it happens
    """Copy the rest of a regular file into ``f`` with copy_file_range and hash the copy; None
    when the kernel cannot copy it.

    Writing through Python costs a user-space copy of every byte, and on the machines measured
    (docs/performance.md, Ingest) page-cache writes from user space were also the noisy part;
    the kernel copy is what ``cp`` does. The copy runs in a thread, a step at a time, and the
    hash reads each stretch of the copy (the bytes actually stored, from the page cache) as soon
    as it is there: both release the GIL, so on two cores a put takes about as long as the
    slower of the two instead of their sum. Only the stream's own position is used (a buffered
    reader's file descriptor may be ahead of it), and the stream is left at its end, as a read
    would leave it.
    """
    source = _regular_file_position(stream)
    copy = getattr(os, "copy_file_range", None)
    if source is None or copy is None:
        return None
    fd, position = source
    out = f.fileno()
    try:
        first = copy(fd, out, COPY_STEP, position, 0)
    except OSError as exc:
        if exc.errno in _NO_KERNEL_COPY:
            return None
        raise
    progress = _CopyProgress(first)

    def copier() -> None:
        copied = first
        try:
            while first:  # an empty source is copied by the first call
                n = copy(fd, out, COPY_STEP, position + copied, copied)
                if n == 0:
                    break
                copied += n
                progress.update(copied=copied)
        except BaseException as exc:  # raised in the caller's thread
            progress.update(error=exc)
        finally:
            progress.update(done=True)

    thread = threading.Thread(target=copier, name="blob-copy", daemon=True)
    thread.start()
    h = hashlib.sha256()
    hashed = 0
    buf = bytearray(chunk_size)
    try:
        with memoryview(buf) as view:
            while True:
                copied, done, error = progress.wait_beyond(hashed)
                if error is not None:
                    raise error
                while hashed < copied:
                    n = os.preadv(out, [view[: min(chunk_size, copied - hashed)]], hashed)
                    if n == 0:  # pragma: no cover - the file is ours alone
                        raise IntegrityError(f"stored copy ends at {hashed} of {copied} bytes")
                    h.update(view[:n])
                    hashed += n
                if done and hashed >= progress.copied:
                    break
    finally:
        thread.join()
    if progress.error is not None:
        raise progress.error
    stream.seek(position + hashed)
    return h.hexdigest(), hashed


def _write_all(f, data) -> None:
    with memoryview(data) as view:
        while view:
            n = f.write(view)
            view = view[n:]


class _LimitedReader(io.RawIOBase):
    """At most ``limit`` bytes of ``raw`` (a binary file positioned at the range start)."""

    def __init__(self, raw: io.RawIOBase, limit: int):
        self._raw = raw
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(b).cast("B")[: self._left]
        n = self._raw.readinto(view) or 0
        self._left -= n
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class LocalBlobStore(BlobStore):
    enforces_retention = False

    def __init__(self, root: str | os.PathLike[str], *, chunk_size: int = 4 * MiB):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, sha256: str) -> Path:
        """Where the blob lives (whether or not it exists)."""
        validate_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    # --- writing ------------------------------------------------------------------------------

    def put(self, stream: BinaryIO, *, retain_until: dt.datetime | None = None) -> BlobInfo:
        if retain_until is not None:
            normalise_retain_until(retain_until)  # validated, not enforceable here
        self._makedirs(self.tmp_dir)
        fd, tmp_name = tempfile.mkstemp(prefix="put-", suffix=".part", dir=self.tmp_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w+b", buffering=0) as f:
                sha256, size = self._copy_hashing(stream, f)
            os.chmod(tmp, READ_ONLY)
            created = self._install(tmp, sha256, size)
        finally:
            # After a successful link this removes only the temporary name; after an error
            # (from the source stream, a full disk, …) it discards the partial file.
            tmp.unlink(missing_ok=True)
        return BlobInfo(sha256=sha256, size=size, created=created)

    def put_file(
        self,
        path: str | os.PathLike[str],
        *,
        retain_until: dt.datetime | None = None,
        sha256: str | None = None,
    ) -> BlobInfo:
        """Store a finished file by hard-linking it under its hash: one read, no copy.

        For a file on the store's filesystem that the caller has finished writing and holds
        exclusively (a completed upload under its lock): it is hashed (one read, usually from the
        page cache), fsynced, made read-only (0o400) and linked to its final name with
        ``os.link``, which never replaces an existing blob; then the directory is fsynced. The
        blob and the caller's name share the inode until the caller removes its name, which it
        must do without writing to the file again. Nothing is visible under the blob's name
        before the whole file is hashed and durable, as with :meth:`put`.

        With ``sha256`` (the digest the caller took while writing the file, as :meth:`put` takes
        it from a stream) the file is not read again, only fsynced and linked.

        On another filesystem, or one without hard links, the bytes are copied with :meth:`put`.
        """
        if retain_until is not None:
            normalise_retain_until(retain_until)  # validated, not enforceable here
        path = Path(path)
        self._makedirs(self.tmp_dir)
        if os.stat(path).st_dev != os.stat(self.root).st_dev:
            return super().put_file(path, retain_until=retain_until, sha256=sha256)
        with open(path, "rb", buffering=0) as f:
            if sha256 is None:
                sha256, size = _hash_file(f, self.chunk_size)
            else:
                validate_sha256(sha256)
                size = os.fstat(f.fileno()).st_size
            os.fsync(f.fileno())
        final = self.path(sha256)
        if final.exists():
            self._check_existing(final, sha256, size)
            return BlobInfo(sha256=sha256, size=size, created=False)
        mode = stat.S_IMODE(os.stat(path).st_mode)
        os.chmod(path, READ_ONLY)
        self._makedirs(final.parent)
        try:
            os.link(path, final)
        except FileExistsError:  # a concurrent put of the same bytes won the race
            os.chmod(path, mode)
            self._check_existing(final, sha256, size)
            return BlobInfo(sha256=sha256, size=size, created=False)
        except OSError as exc:
            os.chmod(path, mode)
            if exc.errno not in _NO_HARDLINKS:
                raise
            return super().put_file(path, retain_until=retain_until, sha256=sha256)
        _fsync_dir(final.parent)
        return BlobInfo(sha256=sha256, size=size, created=True)

    def repair(
        self,
        sha256: str,
        path: str | os.PathLike[str],
        *,
        retain_until: dt.datetime | None = None,
    ) -> BlobInfo:
        """Copy the file in, check its digest, then atomically replace the damaged blob file."""
        validate_sha256(sha256)
        if retain_until is not None:
            normalise_retain_until(retain_until)  # validated, not enforceable here
        self._makedirs(self.tmp_dir)
        fd, tmp_name = tempfile.mkstemp(prefix="repair-", suffix=".part", dir=self.tmp_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w+b", buffering=0) as f, open(path, "rb") as source:
                actual, size = self._copy_hashing(source, f)
            if actual != sha256:
                raise IntegrityError(f"{path}: its SHA-256 is {actual}, not {sha256}")
            os.chmod(tmp, READ_ONLY)
            final = self.path(sha256)
            self._makedirs(final.parent)
            os.replace(tmp, final)  # atomic: readers see the damaged file or the good one
            _fsync_dir(final.parent)
        finally:
            tmp.unlink(missing_ok=True)
        return BlobInfo(sha256=sha256, size=size, created=True)

    def _copy_hashing(self, stream: BinaryIO, f) -> tuple[str, int]:
        """Copy the stream into ``f`` (in the kernel when it can), hash what was written, fsync."""
        copied = _kernel_copy_hashing(stream, f)
        if copied is None:
            sha256, size = self._write_hashing(stream, f)
        else:
            # The bytes were copied inside the kernel (as cp does); hashing what was written,
            # not the source, names the blob by exactly the stored bytes.
            sha256, size = copied
        os.fsync(f.fileno())
        return sha256, size

    def _write_hashing(self, stream: BinaryIO, f) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        for chunk in _chunks(stream, self.chunk_size):
            h.update(chunk)
            _write_all(f, chunk)
            size += len(chunk)
        return h.hexdigest(), size

    def _install(self, tmp: Path, sha256: str, size: int) -> bool:
        final = self.path(sha256)
        if final.exists():
            self._check_existing(final, sha256, size)
            return False
        self._makedirs(final.parent)
        try:
            os.link(tmp, final)  # atomic, and never replaces an existing blob
        except FileExistsError:  # a concurrent put of the same bytes won the race
            self._check_existing(final, sha256, size)
            return False
        except OSError as exc:
            if exc.errno not in _NO_HARDLINKS:
                raise
            # Filesystem without hard links: an atomic rename. A concurrent identical put may
            # be replaced by identical bytes, which is harmless.
            os.replace(tmp, final)
        _fsync_dir(final.parent)
        return True

    @staticmethod
    def _check_existing(final: Path, sha256: str, size: int) -> None:
        existing = final.stat().st_size
        if existing != size:
            raise IntegrityError(
                f"stored blob {sha256} has {existing} bytes, expected {size}: it is corrupt"
            )

    @staticmethod
    def _makedirs(directory: Path) -> None:
        """mkdir -p, fsyncing each parent whose entries changed, so new names survive a crash."""
        missing = []
        p = directory
        while not p.exists():
            missing.append(p)
            p = p.parent
        for p in reversed(missing):
            try:
                p.mkdir()
            except FileExistsError:
                continue
            _fsync_dir(p.parent)

    # --- reading ------------------------------------------------------------------------------

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> BinaryIO:
        check_range(start, end)
        path = self.path(sha256)
        try:
            raw = open(path, "rb", buffering=0)  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None
        if start:
            raw.seek(start)
        if end is None:
            return io.BufferedReader(raw, buffer_size=min(self.chunk_size, MiB))
        return io.BufferedReader(
            _LimitedReader(raw, end - start), buffer_size=min(self.chunk_size, MiB)
        )

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def verify(self, sha256: str, chunk_size: int | None = None):
        return super().verify(sha256, chunk_size or self.chunk_size)

    def iter_blobs(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for d1 in sorted(os.scandir(self.root), key=lambda e: e.name):
            if d1.name not in _HEX2 or not d1.is_dir(follow_symlinks=False):
                continue
            for d2 in sorted(os.scandir(d1.path), key=lambda e: e.name):
                if d2.name not in _HEX2 or not d2.is_dir(follow_symlinks=False):
                    continue
                for f in sorted(os.scandir(d2.path), key=lambda e: e.name):
                    name = f.name
                    if (
                        _SHA256_RE.fullmatch(name)
                        and name[:2] == d1.name
                        and name[2:4] == d2.name
                        and f.is_file(follow_symlinks=False)
                    ):
                        yield name

    # --- retention (accepted, not enforceable on a local disk) -------------------------------

    def extend_retention(self, sha256: str, until: dt.datetime) -> None:
        normalise_retain_until(until)
        if not self.exists(sha256):
            raise BlobNotFound(sha256)

    def set_legal_hold(self, sha256: str, on: bool) -> None:
        if not self.exists(sha256):
            raise BlobNotFound(sha256)

    # --- disposal -------------------------------------------------------------------------------

    def dispose(self, sha256: str) -> None:
        """Unlink the blob's file (nothing on a local disk can enforce retention; the caller
        checked it). Only a regular file at the blob's own path is removed, never a link."""
        path = self.path(sha256)
        try:
            st = path.lstat()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None
        if not stat.S_ISREG(st.st_mode):
            raise BlobStoreError(f"{path} is not a regular file; not removed")
        path.unlink()
        _fsync_dir(path.parent)

    # --- housekeeping -------------------------------------------------------------------------

    def cleanup(self, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
        """Delete temporary files left in ``root/tmp/`` by puts that crashed."""
        if not self.tmp_dir.is_dir():
            return 0
        limit = time.time() - older_than.total_seconds()
        removed = 0
        for entry in os.scandir(self.tmp_dir):
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= limit:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
