"""A SHA-256 whose running state can be saved as bytes and resumed in another process.

A tus upload arrives as several PATCH requests that gunicorn may hand to different worker
processes, and a server may restart between them. To name the finished upload by its hash
without reading the whole file again, each PATCH continues the hash where the previous one
stopped: the state is stored with the upload's offset, in the same transaction.

Python's ``hashlib`` objects can be copied but not saved, so this calls OpenSSL's libcrypto (the
library ``hashlib`` itself uses; same speed, SHA-NI included) through ``ctypes``: its
``SHA256_CTX`` is a plain C structure of 112 bytes — eight words of state, the bit count, the
unprocessed block and two counters — stable since OpenSSL 0.9.8. OpenSSL 3 marks these low-level
functions deprecated but exports them. A self-test at import hashes a split input through a
save and a restore and compares it with ``hashlib``; if the library or a symbol is missing, or
the test fails, :data:`AVAILABLE` is False and :func:`resume` returns None (callers then hash the
finished file once instead). ``ctypes`` releases the GIL during each call, as ``hashlib`` does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib

STATE_SIZE = 112  # sizeof(SHA256_CTX)


def _load():
    # find_library asks ldconfig; the sonames cover a system without its cache.
    for name in (ctypes.util.find_library("crypto"), "libcrypto.so.3", "libcrypto.so"):
        if name is None:
            continue
        try:
            lib = ctypes.CDLL(name)
            (lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final)  # noqa: B018 - all there?
        except (OSError, AttributeError):
            continue
        break
    else:
        return None
    for function in (lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final):
        function.restype = ctypes.c_int
    lib.SHA256_Init.argtypes = [ctypes.c_void_p]
    lib.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.SHA256_Final.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    return lib


_lib = _load()


class ResumableSha256:
    """SHA-256 with ``state()`` to save and ``ResumableSha256(state)`` to resume."""

    def __init__(self, state: bytes | None = None):
        if _lib is None:
            raise RuntimeError("libcrypto's SHA256 functions are not available")
        self._ctx = ctypes.create_string_buffer(STATE_SIZE)
        if state is None:
            if _lib.SHA256_Init(self._ctx) != 1:
                raise RuntimeError("SHA256_Init failed")
        else:
            if len(state) != STATE_SIZE:
                raise ValueError(f"a SHA-256 state is {STATE_SIZE} bytes, not {len(state)}")
            ctypes.memmove(self._ctx, bytes(state), STATE_SIZE)

    def update(self, data) -> None:
        """Feed it bytes, a bytearray or any contiguous buffer (a memoryview of an mmap too)."""
        view = memoryview(data).cast("B")
        size = view.nbytes
        pointer: object
        keep: object
        if not size:
            return
        if isinstance(data, bytes):
            pointer, keep = data, None
        elif not view.readonly:
            keep = (ctypes.c_char * size).from_buffer(view)
            pointer = keep
        else:  # a read-only view of something other than bytes: copy (small inputs only)
            pointer, keep = view.tobytes(), None
        try:
            if _lib.SHA256_Update(self._ctx, pointer, size) != 1:
                raise RuntimeError("SHA256_Update failed")
        finally:
            pointer = keep = None  # releases the export, so the caller can close its mmap
            view.release()

    def state(self) -> bytes:
        return self._ctx.raw

    def digest(self) -> bytes:
        out = ctypes.create_string_buffer(32)
        ctx = ctypes.create_string_buffer(self._ctx.raw, STATE_SIZE)  # Final wipes its context
        if _lib.SHA256_Final(out, ctx) != 1:
            raise RuntimeError("SHA256_Final failed")
        return out.raw

    def hexdigest(self) -> str:
        return self.digest().hex()


def _self_test() -> bool:
    if _lib is None:
        return False
    data = bytes(range(256)) * 41 + b"tail"
    try:
        first = ResumableSha256()
        first.update(data[:1000])
        second = ResumableSha256(first.state())
        second.update(memoryview(bytearray(data[1000:7777])))
        second.update(data[7777:])
        return second.hexdigest() == hashlib.sha256(data).hexdigest()
    except (RuntimeError, ValueError, OSError):
        return False


AVAILABLE = _self_test()


def resume(state: bytes | None) -> ResumableSha256 | None:
    """A hash continuing from ``state`` (a fresh one for None), or None when unavailable."""
    if not AVAILABLE:
        return None
    return ResumableSha256(state)
