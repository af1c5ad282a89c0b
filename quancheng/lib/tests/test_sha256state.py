import hashlib
import mmap
import os

import pytest

from quancheng.lib import sha256state
from quancheng.lib.sha256state import STATE_SIZE, ResumableSha256


def test_libcrypto_is_there_here():
    assert sha256state.AVAILABLE  # Debian's libssl3; the upload's fast path depends on it


def test_a_state_saved_and_resumed_hashes_as_hashlib():
    data = os.urandom(1_000_003)
    for cut in (0, 1, 63, 64, 65, 500_000, len(data)):
        first = ResumableSha256()
        first.update(data[:cut])
        state = first.state()
        assert len(state) == STATE_SIZE
        second = ResumableSha256(state)
        second.update(data[cut:])
        assert second.hexdigest() == hashlib.sha256(data).hexdigest()
        # Taking the digest does not end the hash.
        assert first.hexdigest() == hashlib.sha256(data[:cut]).hexdigest()


def test_every_kind_of_buffer(tmp_path):
    data = os.urandom(70_000)
    path = tmp_path / "f"
    path.write_bytes(data)
    h = ResumableSha256()
    h.update(data[:10])  # bytes
    h.update(bytearray(data[10:20]))
    h.update(memoryview(data)[20:30])  # read-only view
    with (
        open(path, "rb") as f,
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m,
        memoryview(m) as view,
        view[30:40_000] as part,
    ):
        h.update(part)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) as m:
        with memoryview(m) as view, view[40_000:] as part:
            h.update(part)
        m.close()  # no export left behind
    assert h.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_wrong_state_is_refused():
    with pytest.raises(ValueError, match="112 bytes"):
        ResumableSha256(b"short")


def test_resume_is_none_without_libcrypto(monkeypatch):
    monkeypatch.setattr(sha256state, "AVAILABLE", False)
    assert sha256state.resume(None) is None
