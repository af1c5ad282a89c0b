"""receive_into on a real socket: spliced through a pipe (the gunicorn path) and copied."""

import errno
import hashlib
import os
import socket
import threading

import pytest

from quancheng.lib.sha256state import ResumableSha256
from quancheng.records import receive
from quancheng.records.receive import receive_into


class SpliceReader:
    """What bodyread.GunicornSocketReader offers, over a plain socket, counting the splices."""

    can_splice = True

    def __init__(self, sock, pending: bytes = b"", unsupported: bool = False):
        self.sock, self.pending, self.unsupported = sock, memoryview(pending), unsupported
        self.splices = 0

    def take_pending(self):
        pending, self.pending = self.pending, memoryview(b"")
        return pending

    def splice_to(self, pipe, count):
        if self.unsupported:
            raise OSError(errno.EINVAL, "not spliceable")
        self.splices += 1
        return os.splice(self.sock.fileno(), pipe, count)

    def readinto(self, buffer):
        if self.pending:
            n = min(len(buffer), len(self.pending))
            buffer[:n] = self.pending[:n]
            self.pending = self.pending[n:]
            return n
        return self.sock.recv_into(buffer)


def _send(data: bytes):
    ours, theirs = socket.socketpair()

    def run():
        theirs.sendall(data)
        theirs.close()

    thread = threading.Thread(target=run)
    thread.start()
    return ours, thread


@pytest.mark.parametrize("unsupported", [False, True], ids=["spliced", "fallback-copied"])
def test_the_body_lands_in_the_file_and_the_hash_in_order(tmp_path, monkeypatch, unsupported):
    monkeypatch.setattr(receive, "HASH_WINDOW", 64 * 1024)  # many windows, unaligned starts
    head, body = b"h" * 1000, os.urandom(3 * 1024 * 1024 + 12345)
    pending, rest = body[:777], body[777:]
    sock, thread = _send(rest)
    path = tmp_path / "partial"
    path.write_bytes(head)
    digest = ResumableSha256()
    reader = SpliceReader(sock, pending, unsupported)
    with open(path, "r+b") as f:
        f.seek(len(head))
        result = receive_into(f, reader, len(body), digest)
        assert f.tell() == len(head) + len(body)
    thread.join()
    sock.close()
    assert (result.size, result.interrupted) == (len(body), False)
    assert path.read_bytes() == head + body
    assert digest.hexdigest() == hashlib.sha256(body).hexdigest()
    assert (reader.splices > 0) is not unsupported


def test_a_client_gone_mid_body_keeps_what_arrived_and_hashed(tmp_path):
    sent = os.urandom(500_000)
    sock, thread = _send(sent)  # announced 800,000, closes after 500,000
    path = tmp_path / "partial"
    path.write_bytes(b"")
    digest = ResumableSha256()
    with open(path, "r+b") as f:
        result = receive_into(f, SpliceReader(sock), 800_000, digest)
    thread.join()
    sock.close()
    assert (result.size, result.interrupted) == (len(sent), True)
    assert path.read_bytes() == sent
    assert digest.hexdigest() == hashlib.sha256(sent).hexdigest()


def test_a_write_error_is_raised_after_the_threads_stop(tmp_path):
    sock, thread = _send(os.urandom(100_000))
    path = tmp_path / "partial"
    path.write_bytes(b"")
    with open(path, "rb") as f, pytest.raises(OSError):  # noqa: PT011 - read-only: the splice into it fails (errno varies)
        receive_into(f, SpliceReader(sock), 100_000, ResumableSha256())
    sock.close()
    thread.join()
    assert [t for t in threading.enumerate() if t.name == "qc-hash"] == []


def test_a_socket_with_a_timeout_is_spliced_when_its_data_comes_and_gives_up_after_it():
    """gunicorn's sockets block; one with a timeout is non-blocking underneath (EAGAIN)."""
    from quancheng.records.bodyread import _splice_waiting

    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    pipe_r, pipe_w = os.pipe()
    try:
        timer = threading.Timer(0.2, theirs.sendall, [b"late bytes"])
        timer.start()
        assert _splice_waiting(ours, pipe_w, 100) == len(b"late bytes")  # waited for them
        timer.join()
        assert os.read(pipe_r, 100) == b"late bytes"
        ours.settimeout(0.1)
        with pytest.raises(TimeoutError):
            _splice_waiting(ours, pipe_w, 100)
    finally:
        for fd in (pipe_r, pipe_w):
            os.close(fd)
        ours.close()
        theirs.close()
