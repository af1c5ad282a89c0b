"""The reference tus client, tus-js-client (npm), uploads, aborts and resumes against gunicorn.

The package is installed from the npm registry with npm into a cache directory on first use
(``$XDG_CACHE_HOME/quancheng/npm``, kept between runs); node and npm are Debian packages
(QC_TEST_DEBS). The client creates the upload with its first chunk (creation-with-upload), is
aborted after two chunks, and a new client resumes from the upload URL, as a restarted browser
would.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from bench.ingest_bench import Server

VERSION = "4.3.1"
MiB = 1024 * 1024
SIZE = 4 * MiB + 4321
RUNNER = Path(__file__).with_name("tus_js_client_run.cjs")

pytestmark = pytest.mark.skipif(
    not (shutil.which("node") and shutil.which("npm")), reason="needs node and npm (QC_TEST_DEBS)"
)


def tus_js_client() -> Path:
    """The node_modules directory holding tus-js-client VERSION, installed once."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "quancheng" / "npm"
    target = cache / f"tus-js-client-{VERSION}"
    if not (target / "node_modules" / "tus-js-client" / "package.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache))
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(staging),
                f"tus-js-client@{VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        try:
            staging.rename(target)  # atomic: a concurrent run may have won, which is fine
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return target / "node_modules"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("tus-js")
    srv = Server(work / "var", work / "server.log")
    srv.start()
    yield srv
    srv.stop()


def run(server, modules: Path, *args: str) -> dict:
    result = subprocess.run(
        ["node", str(RUNNER), args[0], f"{server.base}/api/v1/uploads/", server.token, *args[1:]],
        env={**os.environ, "NODE_PATH": str(modules)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_tus_js_client_uploads_aborts_and_resumes(server, tmp_path):
    modules = tus_js_client()
    data = os.urandom(SIZE)
    path = tmp_path / "clip.bin"
    path.write_bytes(data)

    started = run(server, modules, "start", str(path), str(2 * MiB))
    head = requests.head(
        started["url"], headers={**server.auth, "Tus-Resumable": "1.0.0"}, timeout=30
    )
    assert head.status_code == 200
    assert int(head.headers["Upload-Offset"]) == started["sent"] == 2 * MiB
    assert "Upload-Expires" in head.headers

    resumed = run(server, modules, "resume", str(path), started["url"])

    assert resumed["url"] == started["url"] and resumed["offset"] == 2 * MiB
    state = requests.get(started["url"], headers=server.auth, timeout=30).json()
    assert state["status"] == "complete"
    assert state["sha256"] == hashlib.sha256(data).hexdigest()
