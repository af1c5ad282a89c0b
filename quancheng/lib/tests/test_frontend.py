"""Slow clients cannot starve the embedded server (scripts/run: nginx before gunicorn).

The server runs as scripts/run starts it (bench/ingest_bench.py's Server): gunicorn with 8
request threads on a Unix socket, nginx in front on a loopback port. 50 slow connections are
opened: 40 that send their request head one line per second (never finishing it) and 10
authenticated tus PATCHes that send their body one byte per second. Meanwhile other requests
must be answered promptly: on a shared, noisy machine "promptly" is measured against the same
requests made before the slow clients arrived, in the same run (docs/testing.md). Without the
front end (gunicorn alone, as before) these requests waited until the slow clients left.

Everything is on 127.0.0.1; the test takes about 15 seconds of waiting on events, no sleeps.

The same server shows that a long tus file name, or any over-long request head under /api/, is
answered with a JSON error whoever refuses it (issue 15): the application below its limits,
nginx above them, and gunicorn (asked directly on its socket) never in between.
"""

import base64
import io
import json
import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

from bench.ingest_bench import Server
from quancheng.lib.frontend import GUNICORN_LIMITS, HEADER_LINE_MAX, nginx_binary
from quancheng.records.services import MAX_FILENAME_LENGTH
from quancheng.records.tus import MAX_METADATA_LENGTH

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (QC_RUNTIME_DEBS)")

SLOW_HEADS = 40
SLOW_BODIES = 10
HEADER_TIMEOUT = 6  # QC_FRONT_HEADER_TIMEOUT for this server
TUS = {"Tus-Resumable": "1.0.0"}
MAX_SIZE = 1024 * 1024  # QC_UPLOAD_MAX_SIZE for this server: nginx's client_max_body_size


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("front")
    env = {"QC_FRONT_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "QC_UPLOAD_MAX_SIZE": str(MAX_SIZE)}
    srv = Server(work / "var", work / "server.log", env=env)
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


# --- long request heads: a JSON error, whoever refuses ---------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def error_of(response) -> str:
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    return response.json()["code"]


def test_the_limits_are_ordered_application_nginx_gunicorn():
    # The longest name the application accepts fits its metadata limit (4 bytes a character)...
    assert len("filename " + b64("字" * MAX_FILENAME_LENGTH)) < MAX_METADATA_LENGTH
    # ...which is below nginx's, which is below gunicorn's (a header line and the request line).
    assert MAX_METADATA_LENGTH + len("Upload-Metadata: \r\n") < HEADER_LINE_MAX
    assert GUNICORN_LIMITS["limit_request_field_size"] > HEADER_LINE_MAX + 1
    assert GUNICORN_LIMITS["limit_request_line"] > HEADER_LINE_MAX


def test_a_long_file_name_gets_the_tus_json_error_from_a_real_tus_client(server):
    tus = tus_client.TusClient(f"{server.base}/api/v1/uploads/", headers=server.auth)
    for name, code, status in [
        ("长" * (MAX_FILENAME_LENGTH + 1) + ".mp4", "filename_too_long", 400),  # the application
        ("长" * 1500 + ".mp4", "metadata_too_long", 400),  # the application (beyond 4096 bytes)
        ("长" * 2500 + ".mp4", "header_too_large", 431),  # nginx (beyond 8000 bytes)
    ]:
        uploader = tus.uploader(file_stream=io.BytesIO(b"x" * 10), metadata={"filename": name})
        with pytest.raises(TusCommunicationError) as failed:
            uploader.upload()
        assert failed.value.status_code == status, failed.value.response_content[:200]
        assert json.loads(failed.value.response_content)["code"] == code
    # A name at the limit is kept.
    name = "长" * MAX_FILENAME_LENGTH
    uploader = tus.uploader(file_stream=io.BytesIO(b"x" * 10), metadata={"filename": name})
    uploader.upload()
    assert requests.get(uploader.url, headers=server.auth, timeout=60).json()["filename"] == name


def test_nginx_answers_its_own_refusals_in_json_under_api_and_in_html_elsewhere(server):
    big = {**server.auth, **TUS, "X-Padding": "x" * (HEADER_LINE_MAX + 100)}
    r = requests.post(f"{server.base}/api/v1/uploads/", headers=big, timeout=60)
    assert r.status_code == 431 and error_of(r) == "header_too_large"
    assert r.headers["Tus-Resumable"] == "1.0.0"
    r = requests.get(f"{server.base}/api/v1/acts/" + "9" * HEADER_LINE_MAX, timeout=60)
    assert r.status_code == 414 and error_of(r) == "uri_too_long"
    assert "Tus-Resumable" not in r.headers
    created = requests.post(
        f"{server.base}/api/v1/uploads/",
        headers={**server.auth, **TUS, "Upload-Length": str(2 * MAX_SIZE)},
        timeout=60,
    )
    assert created.status_code == 413 and error_of(created) == "too_large"  # the application's
    r = requests.post(
        f"{server.base}/api/v1/uploads/",
        headers={**server.auth, **TUS, "Upload-Length": "10"},
        data=b"x" * (MAX_SIZE + 1),
        timeout=60,
    )
    assert r.status_code == 413 and error_of(r) == "body_too_large"  # nginx's
    # The pages keep nginx's HTML.
    r = requests.get(f"{server.base}/login/", headers={"X-Padding": "x" * 9000}, timeout=60)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/html")


def test_whatever_nginx_passes_on_gunicorn_passes_to_the_application(server):
    """Just below nginx's limits, through nginx: the application answers (JSON), not gunicorn."""
    line = "x" * (HEADER_LINE_MAX - len("X-Padding: \r\n") - 10)
    r = requests.post(
        f"{server.base}/api/v1/uploads/",
        headers={**server.auth, **TUS, "X-Padding": line},
        timeout=60,
    )
    assert r.status_code == 400 and error_of(r) == "missing_length"
    path = "/api/v1/acts/" + "9" * (HEADER_LINE_MAX - 40)
    r = requests.get(server.base + path, headers=server.auth, timeout=60)
    assert r.status_code in (404, 422) and error_of(r)


def raw_gunicorn(server, head: str) -> tuple[int, dict[str, str], bytes]:
    """One request straight to gunicorn's Unix socket, past nginx."""
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(60)
    sock.connect(str(server._socket_dir / "gunicorn.sock"))
    try:
        sock.sendall(head.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    finally:
        sock.close()
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def test_gunicorn_itself_passes_heads_beyond_nginx_limits_to_the_application(server):
    """gunicorn's defaults (8190 bytes a header line) refused these with an HTML 400."""
    metadata = "filename " + b64("长" * 3000)  # 12 kB: beyond nginx's line, within gunicorn's
    status, headers, body = raw_gunicorn(
        server,
        "POST /api/v1/uploads/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: {server.auth['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Length: 10\r\nUpload-Metadata: {metadata}\r\n\r\n",
    )
    assert status == 400 and headers["Content-Type"] == "application/json", body[:200]
    assert json.loads(body)["code"] == "metadata_too_long"
