"""Receiving a request body into a file while hashing it in parallel.

A tus PATCH has three things to do with each byte: receive it from the socket, write it to the
partial file, and feed it to the running SHA-256. Two ways, fastest first:

- **spliced** (gunicorn, a plain TCP or Unix socket: the reader has ``splice_to``): the kernel
  moves the bytes from the socket through a pipe into the file (``os.splice``), never through
  this process's memory, and a hasher thread hashes what has landed in the file straight from
  the page cache through ``mmap``. Per byte that is one copy inside the kernel and one read by
  the hash, against three copies and the hash the other way: on two shared cores it halved the
  time to receive a GiB (docs/performance.md, "Ingest").
- **copied** (any other reader: Django's test client, runserver, TLS): receive, write and hash
  run in three threads over a few rotating buffers, so a PATCH takes about as long as the
  slowest of the three instead of their sum.

Either way the hash sees the bytes in order, exactly those written, and every thread releases
the GIL while it works (``splice``, ``recv_into``, ``write``, the hash's update).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .bodyread import BodyReader

BUFFER_SIZE = 4 * 1024 * 1024
BUFFERS = 3  # one being received, one being written, one being hashed
PIPE_SIZE = 1024 * 1024  # the most an unprivileged process may ask (fs.pipe-max-size)
HASH_WINDOW = 8 * 1024 * 1024  # the most the hasher maps at once (it counts in the RSS)


@dataclass
class Received:
    size: int
    interrupted: bool  # the body ended (or the client went away) before the announced length


class _SpliceUnsupported(Exception):
    """The socket cannot be spliced (nothing was moved): receive by copying instead."""


def receive_into(f, reader: BodyReader, length: int, digest=None) -> Received:
    """Receive ``length`` bytes from ``reader`` and write them to ``f`` at its position.

    ``digest`` (anything with ``update``) is fed the bytes in order. An OSError while reading
    counts as the end of the body (tus keeps what arrived); a write error is raised after every
    thread has stopped. ``f`` is left positioned after the bytes written.
    """
    if getattr(reader, "can_splice", False):
        try:
            return _receive_spliced(f, reader, length, digest)
        except _SpliceUnsupported:
            pass
    return _receive_copied(f, reader, length, digest)


def _receive_spliced(f, reader, length: int, digest) -> Received:
    f.flush()
    fd, start = f.fileno(), f.tell()
    received, interrupted = 0, False
    hasher = _FileHasher(fd, start, digest) if digest is not None else None
    pipe_r, pipe_w = os.pipe()
    try:
        with contextlib.suppress(OSError):  # a smaller pipe only means more calls
            fcntl.fcntl(pipe_w, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        pending = reader.take_pending()
        while received < len(pending):
            received += os.pwrite(fd, pending[received:], start + received)
        if hasher is not None:
            hasher.advance(start + received)
        while received < length:
            try:
                n = reader.splice_to(pipe_w, min(PIPE_SIZE, length - received))
            except OSError as e:
                if e.errno in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    raise _SpliceUnsupported from e
                n = 0  # the client went away
            if not n:
                interrupted = True
                break
            _drain(pipe_r, fd, n, start + received)
            received += n
            if hasher is not None:
                hasher.advance(start + received)
    except _SpliceUnsupported:
        _close(hasher, pipe_r, pipe_w)
        f.seek(start + received)
        rest = _receive_copied(f, reader, length - received, digest)
        return Received(received + rest.size, rest.interrupted)
    except BaseException:
        _close(hasher, pipe_r, pipe_w, raise_error=False)
        raise
    _close(hasher, pipe_r, pipe_w)
    f.seek(start + received)
    return Received(received, interrupted)


def _drain(pipe_r: int, fd: int, count: int, offset: int) -> None:
    """Move ``count`` bytes from the pipe into the file at ``offset`` (a page-cache copy)."""
    while count:
        moved = os.splice(pipe_r, fd, count, offset_dst=offset)
        if moved <= 0:  # pragma: no cover - a pipe holding bytes always gives some
            raise OSError(errno.EIO, "the pipe gave no bytes")
        count -= moved
        offset += moved


def _close(hasher, pipe_r: int, pipe_w: int, raise_error: bool = True) -> None:
    os.close(pipe_r)
    os.close(pipe_w)
    if hasher is not None:
        hasher.finish(raise_error)


class _FileHasher:
    """Hashes a file's bytes as they are written, from the page cache, in its own thread.

    The writer calls :meth:`advance` with how far the file is written; the thread maps each new
    stretch read-only (copy-on-write, never written: reading it copies nothing) and hashes it.
    """

    def __init__(self, fd: int, start: int, digest):
        self._fd, self._digest = fd, digest
        self._hashed = self._written = start
        self._done = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="qc-hash", daemon=True)
        self._thread.start()

    def advance(self, written: int) -> None:
        with self._changed:
            self._written = written
            self._changed.notify()

    def finish(self, raise_error: bool = True) -> None:
        with self._changed:
            self._done = True
            self._changed.notify()
        self._thread.join()
        if raise_error and self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            while True:
                with self._changed:
                    while not self._done and self._written - self._hashed < HASH_WINDOW:
                        self._changed.wait()
                    written, done = self._written, self._done
                while self._hashed < written:
                    end = min(written, self._hashed + HASH_WINDOW)
                    self._hash(self._hashed, end)
                    # Start writing the hashed stretch to disk now (and let its pages go once
                    # written) instead of leaving it all to the PATCH's closing fsync, which
                    # would then wait for the whole chunk while the client waits for the reply.
                    os.posix_fadvise(
                        self._fd, self._hashed, end - self._hashed, os.POSIX_FADV_DONTNEED
                    )
                    self._hashed = end
                if done:
                    return
        except BaseException as e:
            self._error = e

    def _hash(self, start: int, end: int) -> None:
        base = start - start % mmap.ALLOCATIONGRANULARITY
        mapped = mmap.mmap(self._fd, end - base, offset=base, access=mmap.ACCESS_COPY)
        try:
            with memoryview(mapped) as whole, whole[start - base :] as part:
                self._digest.update(part)
        finally:
            mapped.close()


def _receive_copied(f, reader: BodyReader, length: int, digest) -> Received:
    size = min(BUFFER_SIZE, max(length, 1))
    buffers = deque(memoryview(bytearray(size)) for _ in range(BUFFERS))
    busy: deque[tuple[memoryview, list[Future]]] = deque()
    received = 0
    interrupted = False
    with (
        ThreadPoolExecutor(1, thread_name_prefix="qc-write") as writer,
        ThreadPoolExecutor(1, thread_name_prefix="qc-hash") as hasher,
    ):
        try:
            while received < length:
                if not buffers:
                    buffer, futures = busy.popleft()
                    _settle(futures)
                    buffers.append(buffer)
                buffer = buffers.popleft()
                try:
                    n = reader.readinto(buffer[: length - received])
                except OSError:  # django's UnreadablePostError included: the client went away
                    n = 0
                if not n:
                    interrupted = True
                    buffers.append(buffer)
                    break
                chunk = buffer[:n]
                futures = [writer.submit(f.write, chunk)]
                if digest is not None:
                    futures.append(hasher.submit(digest.update, chunk))
                busy.append((buffer, futures))
                received += n
        finally:
            while busy:
                _settle(busy.popleft()[1])
    return Received(received, interrupted)


def _settle(futures: list[Future]) -> None:
    for future in futures:
        future.result()  # re-raises a write error
