"""The README's first command, as a newcomer runs it: scripts/run serves the platform.

scripts/run is run in a fresh var directory with the small demo (QC_DEMO=small, so the test does
not load a district's year), until it says where it is running; the login page is then asked for
through its front end (nginx), and Ctrl-C stops everything. Django 5.2's shell once printed
"N objects imported automatically" into the var directory's path that scripts/run reads, so
nginx was configured with a broken path and the quick start ended before it began; the tests
never noticed, because they start the server pieces themselves.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from django.conf import settings

from quancheng.lib.frontend import nginx_binary
from quancheng.lib.net import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.real_clock("scripts/run starts processes on the machine's clock"),
    pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (QC_RUNTIME_DEBS)"),
    pytest.mark.skipif(
        "postgresql" in settings.DATABASES["default"]["ENGINE"],
        reason="the quick start is the embedded default (SQLite): run in the SQLite pass only",
    ),
]


@pytest.fixture
def quick_start():
    # A short path, like a checkout's ./var: scripts/run puts gunicorn's socket in it unless the
    # path is too long for a Unix socket, and a long one would have hidden the broken path.
    work = Path(tempfile.mkdtemp(prefix="qc", dir="/tmp"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env |= {"QC_VAR_DIR": str(work / "var"), "QC_PORT": str(port), "QC_DEMO": "small"}
    log = work / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - the README's own command
            ["/bin/bash", str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, port, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(work, ignore_errors=True)


def wait_for_announcement(process, log: Path) -> str:
    """The announcement's address, once scripts/run prints it; fails if scripts/run exits."""
    while process.poll() is None:
        for line in log.read_text().splitlines():
            if "is running at" in line:
                return line.split("is running at", 1)[1].strip()
        try:
            process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            continue
    pytest.fail(f"scripts/run exited with {process.returncode}:\n{log.read_text()[-4000:]}")


def test_scripts_run_serves_the_login_page_through_its_front_end(quick_start):
    process, port, log = quick_start

    address = wait_for_announcement(process, log)

    assert address == f"http://127.0.0.1:{port}/"
    page = requests.get(f"{address}login/", timeout=30)
    assert page.status_code == 200
    assert "登录" in page.text
    assert page.headers.get("Server", "").startswith("nginx")
    assert "objects imported" not in log.read_text()
    assert "demo logins" in log.read_text()
