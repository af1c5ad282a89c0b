"""PATCH bodies read straight from gunicorn's socket (records/bodyread.py), on the real server.

The direct reader takes over from gunicorn mid-request: bytes gunicorn already buffered must be
used once, bytes of the next request on the same connection must be left for it. These tests
send requests over one raw keep-alive connection, pipelined, so that the body of one PATCH and
the head of the next arrive in the same segment.
"""

import base64
import hashlib
import os
import socket
import time
from urllib.parse import urlsplit

import pytest

from bench.ingest_bench import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("gunicorn")
    # gunicorn alone: these tests are about its socket, which nginx would otherwise feed
    # (whole bodies, one request at a time).
    srv = Server(work / "var", work / "server.log", front=False)
    srv.start()
    yield srv
    srv.stop()


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, base: str):
        url = urlsplit(base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=30)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.pending:
            self._more()
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.pending) < length:
            self._more()
        body, self.pending = self.pending[:length], self.pending[length:]
        return int(status_line.split()[1]), headers, body

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.pending += data


def _tus(server, extra=None) -> dict[str, str]:
    return {**server.auth, "Tus-Resumable": "1.0.0", **(extra or {})}


def _create(conn: Connection, server, length: int) -> str:
    meta = "filename " + base64.b64encode(b"direct.bin").decode()
    conn.send(
        _request(
            "POST",
            "/api/v1/uploads/",
            _tus(server, {"Upload-Length": str(length), "Upload-Metadata": meta}),
        )
    )
    status, headers, body = conn.response()
    assert status == 201, body
    return urlsplit(headers["location"]).path


def _patch(server, path: str, offset: int, data: bytes) -> bytes:
    headers = _tus(
        server,
        {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
    )
    return _request("PATCH", path, headers, data)


def test_pipelined_patches_on_one_connection_store_the_exact_bytes(server):
    data = os.urandom(3 * 1024 * 1024 + 12345)
    conn = Connection(server.base)
    path = _create(conn, server, len(data))
    cut = 1024 * 1024 + 7
    # Both PATCHes and a HEAD in one write: gunicorn reads the next request's head along with
    # the end of the previous body.
    conn.send(
        _patch(server, path, 0, data[:cut])
        + _patch(server, path, cut, data[cut:])
        + _request("HEAD", path, _tus(server))
    )
    first, second, head = conn.response(), conn.response(), conn.response()

    assert first[0] == 204 and first[1]["upload-offset"] == str(cut)
    assert second[0] == 204 and second[1]["upload-offset"] == str(len(data))
    assert second[1]["upload-sha256"] == hashlib.sha256(data).hexdigest()
    assert head[0] == 200 and head[1]["upload-offset"] == str(len(data))


def test_a_small_patch_buffered_whole_with_its_headers(server):
    """A body small enough to arrive with its head is wholly in gunicorn's buffer."""
    data = b"0123456789" * 10
    conn = Connection(server.base)
    path = _create(conn, server, len(data))
    conn.send(_patch(server, path, 0, data[:40]) + _patch(server, path, 40, data[40:]))
    first, second = conn.response(), conn.response()

    assert (first[0], first[1]["upload-offset"]) == (204, "40")
    assert second[1]["upload-sha256"] == hashlib.sha256(data).hexdigest()


def test_a_client_that_goes_away_mid_body_keeps_what_arrived(server):
    data = os.urandom(2 * 1024 * 1024)
    conn = Connection(server.base)
    path = _create(conn, server, len(data))
    request = _patch(server, path, 0, data)
    sent = len(request) - len(data) + 700_000
    conn.send(request[:sent])
    conn.sock.shutdown(socket.SHUT_WR)  # the body ends 700,000 bytes in
    conn.sock.close()

    other = Connection(server.base)
    for _ in range(600):  # the server commits what arrived once it sees the end
        other.send(_request("HEAD", path, _tus(server)))
        status, headers, _ = other.response()
        if headers.get("upload-offset") == "700000":
            break
        time.sleep(0.1)
    assert (status, headers["upload-offset"]) == (200, "700000")
    other.send(_patch(server, path, 700_000, data[700_000:]))
    status, headers, _ = other.response()
    assert (status, headers["upload-sha256"]) == (204, hashlib.sha256(data).hexdigest())


def _checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_a_spliced_patch_with_a_wrong_checksum_is_refused_and_nothing_of_it_is_kept(server):
    data = os.urandom(3 * 1024 * 1024 + 99)
    cut = 1024 * 1024 + 3
    conn = Connection(server.base)
    path = _create(conn, server, len(data))
    altered = bytearray(data[cut:])
    altered[500_000] ^= 0x01
    good = _request(
        "PATCH", path, _tus(server, _patch_headers(0, _checksum(data[:cut]))), data[:cut]
    )
    bad = _request(
        "PATCH", path, _tus(server, _patch_headers(cut, _checksum(data[cut:]))), bytes(altered)
    )
    conn.send(good + bad + _request("HEAD", path, _tus(server)))
    first, refused, head = conn.response(), conn.response(), conn.response()

    assert first[0] == 204 and first[1]["upload-offset"] == str(cut)
    assert refused[0] == 460, refused
    assert b"checksum_mismatch" in refused[2]
    assert head[1]["upload-offset"] == str(cut)  # the refused bytes were not kept
    # The hash state committed with the first PATCH still holds: the genuine rest completes it.
    conn.send(
        _request(
            "PATCH", path, _tus(server, _patch_headers(cut, _checksum(data[cut:]))), data[cut:]
        )
    )
    status, headers, _ = conn.response()
    assert (status, headers["upload-sha256"]) == (204, hashlib.sha256(data).hexdigest())


def _patch_headers(offset: int, checksum: str) -> dict[str, str]:
    return {
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": checksum,
    }
