"""Slow clients cannot starve the embedded server (scripts/run: nginx before gunicorn).

The server runs as scripts/run starts it (bench/ingest_bench.py's Server): gunicorn with 8
request threads on a Unix socket, nginx in front on a loopback port. 50 slow connections are
opened: 40 that send their request head one line per second (never finishing it) and 10
authenticated tus PATCHes that send their body one byte per second. Meanwhile other requests
must be answered promptly: on a shared, noisy machine "promptly" is measured against the same
requests made before the slow clients arrived, in the same run (docs/testing.md). Without the
front end (gunicorn alone, as before) these requests waited until the slow clients left.

Everything is on 127.0.0.1; the test takes about 15 seconds of waiting on events, no sleeps.
"""

import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from bench.ingest_bench import Server
from quancheng.lib.frontend import nginx_binary

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (QC_RUNTIME_DEBS)")

SLOW_HEADS = 40
SLOW_BODIES = 10
HEADER_TIMEOUT = 6  # QC_FRONT_HEADER_TIMEOUT for this server
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("front")
    srv = Server(
        work / "var", work / "server.log", env={"QC_FRONT_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}
    )
    srv.start()
    assert srv.front
    yield srv
    srv.stop()


class Dribbler(threading.Thread):
    """Sends each socket its next piece once a second until stopped (or the server hangs up)."""

    def __init__(self, streams: list[tuple[socket.socket, list[bytes]]]):
        super().__init__(daemon=True)
        self.streams = streams
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            for sock, pieces in self.streams:
                if pieces:
                    try:
                        sock.sendall(pieces.pop(0))
                    except OSError:  # closed by the server: that is what a timeout does
                        pieces.clear()


def _connect(base: str) -> socket.socket:
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=60)
    return sock


def slow_head(base: str) -> tuple[socket.socket, list[bytes]]:
    sock = _connect(base)
    sock.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock, [f"X-Slow-{i}: {'x' * 20}\r\n".encode() for i in range(600)]


def slow_body(server) -> tuple[socket.socket, list[bytes], str]:
    created = requests.post(
        f"{server.base}/api/v1/uploads/",
        headers={**server.auth, **TUS, "Upload-Length": "1000"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    path = urlsplit(created.headers["Location"]).path
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {server.auth['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        "Content-Length: 1000\r\n\r\n"
    )
    sock = _connect(server.base)
    sock.sendall(head.encode())
    return sock, [b"x"] * 1000, created.headers["Location"]


def hung_up(sock: socket.socket) -> bool:
    """Whether the server ends the connection (408, a close or a reset) within the wait."""
    sock.settimeout(HEADER_TIMEOUT * 10)
    try:
        answer = sock.recv(64)
    except ConnectionResetError:  # nginx resets timed-out connections (reset_timedout_connection)
        return True
    return answer == b"" or answer.startswith(b"HTTP/1.1 408")


def timed(server, url: str) -> tuple[int, float]:
    """An authenticated request (token lookup, then the upload's row) and how long it took."""
    start = time.monotonic()
    r = requests.get(url, headers=server.auth, timeout=60)
    return r.status_code, time.monotonic() - start


def sample(server, url: str, n: int = 6) -> list[tuple[int, float]]:
    return [timed(server, url) for _ in range(n)]


def test_fifty_slow_clients_do_not_starve_other_requests(server):
    url = requests.post(
        f"{server.base}/api/v1/uploads/",
        headers={**server.auth, **TUS, "Upload-Length": "10"},
        timeout=60,
    ).headers["Location"]
    sample(server, url, 2)  # warm up both workers
    before = sample(server, url)
    assert {status for status, _ in before} == {200}
    baseline = statistics.median(t for _, t in before)

    heads = [slow_head(server.base) for _ in range(SLOW_HEADS)]
    bodies = [slow_body(server) for _ in range(SLOW_BODIES)]
    dribbler = Dribbler(heads + [(sock, pieces) for sock, pieces, _ in bodies])
    dribbler.start()
    try:
        during = sample(server, url, 10)
        # The slow bodies have not reached the application: nginx holds them.
        state = requests.get(bodies[0][2], headers=server.auth, timeout=60).json()
        assert state["offset"] == 0
        # The slow heads are cut off after the header timeout (408 or a closed connection).
        for sock, _ in heads[:5]:
            assert hung_up(sock)
    finally:
        dribbler.stop.set()
        dribbler.join()
        for sock, *_ in heads + bodies:
            sock.close()

    assert {status for status, _ in during} == {200}, during
    # Generous against the same run's baseline: a starved server answered only after the slow
    # clients gave up, tens of seconds later.
    bound = max(20 * baseline, 3.0)
    assert max(t for _, t in during) < bound, (during, baseline)
