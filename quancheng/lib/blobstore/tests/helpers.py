"""Test streams that produce data on the fly, so no test holds a whole file in memory."""

from __future__ import annotations

import hashlib
import io
import os

MiB = 1024 * 1024


class SourceFailed(OSError):
    """Raised by a GeneratedStream to simulate a client that drops mid-upload."""


class GeneratedStream(io.RawIOBase):
    """``total`` random bytes made in ``chunk``-sized pieces as they are read.

    ``sha256`` and ``produced`` are known once the stream is exhausted; with ``fail_after`` the
    stream raises :class:`SourceFailed` once that many bytes were handed out.
    """

    def __init__(self, total: int, *, chunk: int = MiB, fail_after: int | None = None):
        self.total = total
        self.chunk = chunk
        self.fail_after = fail_after
        self.produced = 0
        self._hash = hashlib.sha256()
        self._buf = b""
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.fail_after is not None and self.produced >= self.fail_after:
            raise SourceFailed("simulated: the client went away mid-upload")
        if self._pos >= len(self._buf):
            left = self.total - self.produced
            if left <= 0:
                return 0
            self._buf = os.urandom(min(self.chunk, left))
            self._hash.update(self._buf)
            self._pos = 0
        view = memoryview(b).cast("B")
        n = min(len(view), len(self._buf) - self._pos)
        if self.fail_after is not None:
            n = min(n, max(self.fail_after - self.produced, 1))
        view[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        self.produced += n
        return n

    @property
    def sha256(self) -> str:
        assert self.produced == self.total, "stream not exhausted"
        return self._hash.hexdigest()


def write_random_file(path, size: int, chunk: int = MiB) -> str:
    """Write ``size`` random bytes to ``path`` chunk by chunk; return their SHA-256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            data = os.urandom(min(chunk, left))
            h.update(data)
            f.write(data)
            left -= len(data)
    return h.hexdigest()


def sha256_of_stream(stream, chunk: int = MiB) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    while data := stream.read(chunk):
        h.update(data)
        size += len(data)
    return h.hexdigest(), size
