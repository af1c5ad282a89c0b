"""The real tus client (tuspy) against a real server: `manage.py runserver` in a subprocess.

pytest-django's live_server cannot be used here: its teardown flushes the tables with DELETE,
which the ledger's SQLite triggers refuse. So the test starts its own server on a temporary
QC_VAR_DIR with its own SQLite database, seeds the demo people and issues a token with the
management commands, then uploads a 3 MiB file in 1 MiB chunks with a dropped connection in the
middle, and resumes with a new Uploader as a restarted client would.
"""

import hashlib
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client

from quancheng.lib.net import free_port

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[3]
SIZE = 3 * MiB + 12345  # the last chunk is a short one
WAIT_STEPS = 200  # × 0.1 s: every wait is bounded


def manage(env, *args, timeout=180) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {args[0]}: {result.stderr[-2000:]}"
    return result.stdout


def server_env(tmp: Path) -> tuple[dict, dict]:
    """A migrated installation in ``tmp`` with the demo people; its env and a token header."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env.update(
        QC_VAR_DIR=str(tmp / "var"),
        QC_SECRET_KEY="tus-live-test-secret-key-not-for-production-0123456789",
        DJANGO_SETTINGS_MODULE="quancheng.settings",
        QC_LOG_LEVEL="WARNING",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--small")
    secret = manage(env, "issue_api_token", "--user", "zhangwei", "--name", "t", "--by", "sunli")
    secret = secret.strip().splitlines()[-1]
    return env, {"Authorization": f"Bearer {secret}"}


def start_server(env: dict, auth: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    """runserver on a free port, answering; the process and its base URL."""
    port = free_port()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(WAIT_STEPS):
        if proc.poll() is not None:
            break
        try:
            requests.options(f"{base}/api/v1/uploads/", headers=auth, timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        stop_server(proc)
        pytest.fail("runserver did not start")
    assert proc.poll() is None, log_path.read_text()
    return proc, base


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tus-live")
    env, auth = server_env(tmp)
    proc, base = start_server(env, auth, tmp / "server.log")
    try:
        yield {"base": base, "auth": auth, "var": tmp / "var"}
    finally:
        stop_server(proc)


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "clip.mp4"
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = SIZE
        while left:
            chunk = os.urandom(min(MiB, left))
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return path, digest.hexdigest()


def head_offset(server, url) -> int:
    r = requests.head(url, headers={**server["auth"], "Tus-Resumable": "1.0.0"}, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.headers["Upload-Offset"])


def drop_mid_body(server, url, offset: int, data: bytes, promised: int) -> None:
    """A PATCH whose connection dies after sending part of its body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PATCH", parts.path)
    for name, value in {
        **server["auth"],
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(promised),
    }.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(data)
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()


def test_tuspy_upload_interrupted_and_resumed(server, big_file):
    path, sha = big_file
    data = path.read_bytes()
    client = tus_client.TusClient(f"{server['base']}/api/v1/uploads/", headers=server["auth"])

    first = client.uploader(
        file_path=str(path), chunk_size=MiB, metadata={"filename": "执法记录仪-0001.mp4"}
    )
    first.upload_chunk()  # one chunk, then the client "crashes"
    url = first.url
    assert first.offset == MiB
    assert head_offset(server, url) == MiB

    # The next request's connection drops after 300 000 of its 1 MiB: those bytes are kept.
    drop_mid_body(server, url, MiB, data[MiB : MiB + 300_000], promised=MiB)
    for _ in range(WAIT_STEPS):
        if head_offset(server, url) == MiB + 300_000:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"offset after the dropped PATCH: {head_offset(server, url)}")

    # A new client resumes from the server's offset (HEAD) with the stored URL.
    resumed = client.uploader(file_path=str(path), chunk_size=MiB, url=url)
    assert resumed.offset == MiB + 300_000
    resumed.upload()
    assert resumed.offset == SIZE

    state = requests.get(url, headers=server["auth"], timeout=10).json()
    assert state["status"] == "complete"
    assert state["length"] == SIZE
    assert state["sha256"] == sha
    assert state["deduplicated"] is False
    assert state["filename"] == "执法记录仪-0001.mp4"
    blob = server["var"] / "blobs" / sha[:2] / sha[2:4] / sha
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha
    assert not (server["var"] / "uploads" / url.rsplit("/", 1)[1]).exists()

    # The same bytes again: a second, complete upload, linked to the existing blob.
    again = client.uploader(file_path=str(path), chunk_size=MiB)
    again.upload()
    assert again.url != url
    state = requests.get(again.url, headers=server["auth"], timeout=10).json()
    assert (state["status"], state["sha256"], state["deduplicated"]) == ("complete", sha, True)


def blob_files(var: Path) -> list[Path]:
    """Every file visible as a blob (the store's tmp/ folder holds unfinished writes)."""
    root = var / "blobs"
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts]


def test_a_server_killed_mid_upload_leaves_no_partial_blob_and_the_upload_resumes(
    tmp_path, big_file
):
    import sqlite3

    path, sha = big_file
    data = path.read_bytes()
    env, auth = server_env(tmp_path)
    var = tmp_path / "var"
    # The demo already holds blobs (its sealed inspection's clip and documents).
    demo_blobs = set(blob_files(var))
    with sqlite3.connect(var / "quancheng.sqlite3") as db:
        (demo_rows,) = db.execute("select count(*) from records_blob").fetchone()
    proc, base = start_server(env, auth, tmp_path / "server.log")
    try:
        client = tus_client.TusClient(f"{base}/api/v1/uploads/", headers=auth)
        first = client.uploader(file_path=str(path), chunk_size=MiB)
        first.upload_chunk()
        url_path = urlsplit(first.url).path
        # The rest in one PATCH; the server is killed (SIGKILL) while the body is arriving.
        parts = urlsplit(first.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.putrequest("PATCH", parts.path)
        for name, value in {
            **auth,
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(MiB),
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(SIZE - MiB),
        }.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(data[MiB : 2 * MiB])
        proc.kill()
        proc.wait(timeout=10)
        conn.close()
    finally:
        if proc.poll() is None:
            stop_server(proc)

    # Nothing of the unfinished upload is visible as a blob, in the store or in its registry.
    assert set(blob_files(var)) == demo_blobs
    with sqlite3.connect(var / "quancheng.sqlite3") as db:
        assert db.execute("select count(*) from records_blob").fetchone() == (demo_rows,)

    # Restarted, the server reports the last acknowledged offset and the client finishes.
    proc, base = start_server(env, auth, tmp_path / "server.log")
    try:
        url = base + url_path
        assert head_offset({"auth": auth}, url) == MiB
        client = tus_client.TusClient(f"{base}/api/v1/uploads/", headers=auth)
        resumed = client.uploader(file_path=str(path), chunk_size=MiB, url=url)
        resumed.upload()
        state = requests.get(url, headers=auth, timeout=10).json()
        assert (state["status"], state["sha256"]) == ("complete", sha)
        [blob] = set(blob_files(var)) - demo_blobs
        assert blob.name == sha and hashlib.sha256(blob.read_bytes()).hexdigest() == sha
    finally:
        stop_server(proc)
