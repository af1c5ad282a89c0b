"""A seekable, read-only view of a stored blob, for readers that jump about (PyAV probing an MP4
whose index sits at the end of the file).

A local store hands out its own file, which seeks natively. Other stores (S3) give forward-only
range streams: this view opens a new range read from the position after each seek, so only the
bytes actually read travel, and the blob is never loaded whole.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO

from . import BlobStore

BUFFER = 256 * 1024


class _RangeReader(io.RawIOBase):
    def __init__(self, store: BlobStore, sha256: str):
        self._store = store
        self._sha256 = sha256
        self._size = store.size(sha256)
        self._pos = 0
        self._stream: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        target = max(0, base + offset)
        if target != self._pos:
            self._drop_stream()
            self._pos = target
        return self._pos

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        if self._stream is None:
            self._stream = self._store.open(self._sha256, self._pos)
        n = self._stream.readinto(buffer) or 0  # type: ignore[attr-defined]  # every store's stream is a raw or buffered file
        self._pos += n
        return n

    def close(self) -> None:
        self._drop_stream()
        super().close()

    def _drop_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def open_seekable(store: BlobStore, sha256: str) -> BinaryIO:
    """The blob's bytes, seekable; the caller closes it."""
    local = getattr(store, "path", None)
    if local is not None:
        return open(local(sha256), "rb")
    return io.BufferedReader(_RangeReader(store, sha256), buffer_size=BUFFER)
